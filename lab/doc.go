// Package lab runs the claims of teardown's seed documents on the real
// kernel and records what happened, so that "the source says X" can be set
// next to "this kernel did Y".
//
// # What a scenario is
//
// A scenario (docs/scenario-format.md) is a script per actor — a client, a
// server, sometimes more clients or a child process — of operations on real
// sockets over loopback: listen, connect, write, read, shutdown, close,
// SO_LINGER, dup, fork, exit, SIGKILL. Actors run concurrently; barriers
// (`signal`/`wait`) and waits on a socket's TCP state keep a script
// deterministic without long sleeps. The built-in catalog (Catalog) holds
// every experiment of CLAIMS.md, among them the two of seed 003: the client
// that close()s while the server is still busy (seed-close: claims C04–C06)
// and the one that half-closes with shutdown(SHUT_WR) (seed-shutdown: C01,
// C08, C12, C14).
//
// # What is recorded
//
// Every step is one raw system call (internal/sys), so its result is the
// kernel's own answer: a byte count, EOF, or an errno name — ECONNRESET when
// a reset arrived before any FIN, EPIPE when writing to a connection that is
// gone (Linux's tcp_reset records EPIPE, not ECONNRESET, for a socket that
// had already received the peer's FIN). As root, the packets
// on the scenario's ports (capture, AF_PACKET on lo) and the sockets' state
// changes (trace, tracefs) are recorded alongside, and `snapshot` steps read
// the socket table (sockdiag). Everything becomes one Timeline: events
// sorted by time since the start, packets drawn between actor names with
// sequence numbers relative to each side's initial one, as tcpdump prints
// them. Without root the calls are still recorded; what needs packets or
// states is reported as not observed, never guessed.
//
// # How a verdict is reached
//
// A scenario's `verdict` rules are conditions on the recorded events
// ("packet client>server R and call server read#2 = ECONNRESET"); the first
// rule that holds gives the claim its verdict — agrees, differs, partly —
// and the same conditions, evaluated, are the "observed" text. Nothing is
// written by hand. The `expect` lines pin down what this kernel did, and CI
// runs them: if a kernel changes a behaviour, a test fails.
//
// Some truths this package makes visible: a close() that leaves received
// data unread sends RST at once, not FIN (C21, RFC 2525 §2.17); SO_LINGER
// {1,N} makes close() wait for the peer's ACK of our FIN, and when N runs
// out close() still returns 0 on Linux, unlike BSD's EWOULDBLOCK (C18, C19),
// and it waits even on a non-blocking socket (C20); an orphaned FIN-WAIT-2
// socket lives on as a timewait socket for tcp_fin_timeout (C15); a FIN
// leaves the receiver in CLOSE-WAIT until its application closes (C29).
//
// # The wire
//
// On loopback nothing is lost, late or out of order, yet every rule of
// TCP's close exists for those cases. A scenario with the `wire` directive
// runs on two hosts (network namespaces) joined by a wire this process
// forwards (lab/wire), and its `wire:` lane drops, delays, duplicates,
// holds or crafts segments while the actors run. The catalog uses it to
// show why TIME-WAIT exists (lost-last-ack: the last ACK is lost and the
// TIME-WAIT socket answers the retransmitted FIN, RFC 9293 §3.6.1;
// old-duplicate: PAWS drops a delayed segment of the previous incarnation,
// RFC 7323 §5), what a lost FIN or RST costs, how an orphan gives up
// (tcp_orphan_retries), how a vanished peer is found (TCP_USER_TIMEOUT,
// RFC 5482; keepalive, RFC 1122 §4.2.3.6) and how an RST ends a TIME-WAIT
// early (timewait-rst, RFC 1337): claims C31–C41. The wire is the
// capture point there, and each packet carries its mark (Packet.Wire).
//
// # Processes
//
// Go cannot fork, so a process actor is this binary started again with
// TEARDOWN_LAB_CHILD set; the package's init runs the child's loop instead
// of the program (in `teardown` as in a test binary).
package lab
