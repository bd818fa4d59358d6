// Package trace reports the TCP state transitions of chosen sockets as the
// Linux kernel makes them, read from tracepoints in a private tracefs
// instance, and completes them with what the kernel does not report: the
// entry into TIME-WAIT.
//
// # The state machine as the kernel reports it
//
// RFC 9293 §3.3.2 draws the TCP state machine; Linux numbers its states in
// include/net/tcp_states.h (package tcpstate) and calls tcp_set_state for
// every move, which fires the tracepoint sock:inet_sock_set_state with the
// old and the new state and the socket's addresses. On loopback, with a
// client that closes first (seed 003's experiments, claim C14), this
// kernel (6.18) reports:
//
//	client  CLOSE → SYN-SENT → ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → CLOSE
//	server  LISTEN → SYN-RECV → ESTABLISHED → CLOSE-WAIT → LAST-ACK → CLOSE
//
// A few things differ from the textbook picture:
//
//   - The CLOSE → SYN-SENT event carries source port 0: connect(2) sets the
//     state before inet_hash_connect picks the ephemeral port. The Inferrer
//     holds that event back until the socket's next event shows the port.
//   - The server's socket is born from the listener, so its first event
//     reads LISTEN → SYN-RECV although the listener itself stays in LISTEN.
//   - The passive closer's ACK of a FIN is delayed: on receiving the FIN
//     Linux enters "pingpong" (delayed-ACK) mode hoping to piggyback the ACK
//     on the application's answer, so FIN-WAIT-1 → FIN-WAIT-2 came about
//     40 ms after the FIN in our runs (testdata/close.trace).
//   - The active closer never reports TIME-WAIT. See below.
//
// # The four tracepoints
//
// sock:inet_sock_set_state is every state change above. It also fires for
// SCTP and MPTCP sockets, hence the kernel filter "protocol == 6".
//
// tcp:tcp_receive_reset fires when a socket accepts an incoming RST, just
// before the kernel moves it to CLOSE (tcp_reset → tcp_done). It carries
// the socket cookie, the same number sock_diag reports.
//
// tcp:tcp_send_reset fires after the kernel transmitted an RST. It names the
// sender's state and the kernel's reason: TCP_STATE for an abortive close
// (SO_LINGER {1, 0}, claim C17: tcp_disconnect moves the socket to CLOSE and
// then resets), TCP_TIMEWAIT_SOCKET when a FIN-WAIT-2 mini-socket answers
// data (claim C04), NO_SOCKET when a segment reaches no socket at all (a
// refused connection, or a FIN that comes after the mini-socket expired:
// claim C15). On loopback the receiver processes the RST inside the
// sender's transmit call, so tcp_receive_reset is stamped before the
// tcp_send_reset that caused it: order by socket, not by stamp, when the
// two ends are one machine. This event has no port fields on 6.18, only
// socket addresses, so the port filter runs in Go.
//
// tcp:tcp_destroy_sock fires when the kernel frees the socket: for an
// orphan right after CLOSE, for a socket the application still holds only
// at its close(2). After an abortive close, tcp_disconnect has already
// wiped the peer's address and port, so that socket's destroy event does
// not match a port filter on the peer's port.
//
// The text of trace_pipe carries no socket pointer for these events
// (hash-ptr is on, and inet_sock_set_state does not print skaddr), so a
// socket is known by its address pair; Transition.Skaddr is set only for
// resets sent, as a hashed identity.
//
// # Why TIME-WAIT must be inferred
//
// When the active closer has both sent its FIN and received the peer's,
// Linux does not keep the full socket for the 60 s of TIME-WAIT
// (TCP_TIMEWAIT_LEN, claims C14 and C24): tcp_time_wait replaces it by a
// small inet_timewait_sock and moves the full socket to CLOSE. No
// tracepoint reports the mini-socket, so the trace shows FIN-WAIT-2 → CLOSE
// (or CLOSING → CLOSE after a simultaneous close) and nothing else.
//
// But FIN-WAIT-2 → CLOSE does not always mean TIME-WAIT. Measured here:
//
//   - shutdown(SHUT_WR), then the peer closes: the socket stays whole in
//     FIN-WAIT-2 and goes to CLOSE at the very moment the peer's FIN
//     arrives (right after the peer's CLOSE-WAIT → LAST-ACK). This is
//     TIME-WAIT (testdata/shut.trace).
//   - close(2), then the peer closes later: the socket is orphaned, and
//     with tcp_fin_timeout ≤ 60 s the kernel swaps it for a mini-socket in
//     the FIN-WAIT-2 substate as soon as its FIN is acknowledged, long
//     before the peer's FIN (tcp_rcv_state_process → tcp_time_wait(sk,
//     TCP_FIN_WAIT2, tmo)). ss shows "FIN-WAIT-2 timer:(timewait,59sec)",
//     and only when the peer's FIN comes does the mini-socket turn to
//     TIME-WAIT — silently (testdata/close.trace).
//   - If the peer sends data instead, the mini-socket answers with a reset
//     and dies (testdata/late.trace). If the peer's FIN comes after
//     tcp_fin_timeout, it finds nothing and is reset (testdata/expired.trace,
//     in a namespace with tcp_fin_timeout=2).
//   - With tcp_fin_timeout > 60 s the orphan stays a full FIN-WAIT-2 socket
//     on its keepalive timer for fin_timeout − 60 s before the swap.
//
// So the Inferrer infers TIME-WAIT (Transition.Inferred) when a socket goes
// CLOSING → CLOSE, or FIN-WAIT-2 → CLOSE after the peer is known to have
// sent its FIN — with no reset on that address pair in either case. When
// both ends are traced (loopback, the lab) the evidence is the peer's own
// CLOSE-WAIT → LAST-ACK; otherwise Tracer.FINReceived, fed from a captured
// FIN segment or a TIME-WAIT row of the socket table. A FIN-WAIT-2 → CLOSE
// without that evidence is an orphan's mini-socket in FIN-WAIT-2: it
// enters TIME-WAIT when the peer's FIN reaches it, which the trace shows as
// the peer's LAST-ACK → CLOSE (a mini-socket acknowledges the FIN only as
// it turns to TIME-WAIT) — if that comes within tcp_fin_timeout
// (Config.FinTimeout) and no reset intervenes. The inferred transition
// follows the kernel's CLOSE and reads FIN-WAIT-2 → TIME-WAIT: the
// connection lives on in the mini-socket.
//
// What the rule cannot see: an orphan in CLOSING whose retransmissions run
// out dies without a reset and would be called TIME-WAIT; so would an
// orphan's mini-socket whose peer gave up in LAST-ACK silently (its FIN
// never acknowledged). Both need lost packets.
//
// # Time
//
// The instance runs with trace_clock=mono (CLOCK_MONOTONIC); captured
// packets carry CLOCK_REALTIME. Start measures REALTIME − MONOTONIC by
// reading MONOTONIC, REALTIME, MONOTONIC sixteen times and keeping the
// tightest bracket; half its width is Clock.Bound (about 0.23 µs here).
// trace_pipe prints microseconds, so a Transition's Time is within
// Bound + 1 µs of the kernel's event, as long as NTP does not step the wall
// clock while tracing. From the kernel's stamp to the Transition arriving
// on Events() took a median of 0.12–0.15 ms (p99 0.4–1.5 ms) at 100
// connections/s, and a median of 2–25 ms (p99 17–55 ms) during bursts of
// ~7000 connections/s (11 events each: the kernel formats text faster than
// one reader parses it on a busy 2-core machine), with no event lost
// (BenchmarkEventLatency).
//
// # Instances, privileges and cleanup
//
// Each Tracer owns instances/teardown-<pid>-<n> under /sys/kernel/tracing
// (mounted by Start if missing), so several tracers, in one process or
// many, never share buffers or filters. Tracepoints themselves are global:
// an instance sees sockets of every network namespace, and only the port
// filter narrows it. Close (or cancelling Start's context) closes
// trace_pipe — which must happen first, rmdir of an instance with an open
// file fails with EBUSY — and removes the instance. Start removes the
// instances of dead processes (Cleanup). All of it needs root: mounting
// tracefs needs CAP_SYS_ADMIN, and instances/ is writable by root only.
package trace
