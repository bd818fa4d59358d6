// Package server is a TCP server whose every connection ends without losing
// a byte, and whose Shutdown drains instead of cutting. It mirrors
// net/http.Server: Serve, ListenAndServe, Shutdown(ctx), Close,
// ErrServerClosed, a ConnState hook, MaxConns.
//
// # Why a server cannot just close
//
// A handler writes its reply and returns. If the server then calls close(2)
// while the client's next bytes sit unread in the receive queue (a pipelined
// second request, the rest of an upload), Linux does not send FIN: it sends
// RST (RFC 2525 §2.17, claim C21). The RST makes the client's kernel throw
// away what it had received but its application had not yet read, and what
// was still in our send queue is never sent: the client sees "connection
// reset" and loses the reply it asked for. With a 256 KiB reply and a
// pipelined request left unread, a plain close truncates about 99 % of
// replies on loopback (issue 5). HTTP/1.1 calls the cure a "lingering close"
// (RFC 9112 §9.6): half-close first, keep reading and discarding until the
// client's FIN, then close (C22). The client reads the whole reply, then EOF.
//
// This is what the server does when a handler returns:
//
//	shutdown(SHUT_WR)          our FIN after the reply       [F.] →
//	read and discard           until the peer's FIN          ← [F.]
//	close                      receive queue empty: no RST
//
// bounded by teardown.Options: LingerTime in all (30 s), IdleTimeout of
// silence (5 s), MaxDrain bytes discarded (1 MiB), and OnTimeout choosing a
// plain close or an RST when a bound ends the wait. Each close is accounted
// with the same teardown.Outcome as teardown.Graceful (OutcomePeerClosed,
// OutcomeIdleTimeout, and so on) in Stats.
//
// # What lingering costs, and why no goroutine waits
//
// A lingering connection waits for a peer, often for milliseconds, sometimes
// for the whole bound. A goroutine parked per connection costs a stack (about
// 4 KiB of user memory measured here) and scheduler work. On Linux the server
// instead duplicates the socket's descriptor, closes Go's copy (Go's close
// removes it from the runtime's epoll set first, and the duplicate keeps the
// socket alive, so nothing goes on the wire), and hands the duplicate to a
// lingerer: a few goroutines, each with an epoll set registered with Go's
// network poller and a heap of timers. Per connection that is a ~90 byte
// record. The descriptor is closed as soon as the read that returns 0 (the
// FIN) runs: a median of about 70 µs after the client's close on loopback,
// with a tail of a few milliseconds when the one lingerer goroutine waits for
// a CPU (docs/performance.md).
// The kernel still holds the socket's buffers and, after our close, a
// TIME-WAIT mini-socket (we sent the first FIN, so TIME-WAIT is ours, RFC 9293
// §3.6.1).
//
// Elsewhere, and on Linux for connections that are not *net.TCPConn (TLS
// needs Go to send close_notify) or when a Sink is set, a goroutine per
// connection runs teardown.Graceful.
//
// # Shutdown without lost replies
//
// Closing a listener resets every connection still in its accept queue; those
// clients already sent their request. On Linux Shutdown first makes the
// listener drop new SYNs (clients keep retransmitting, and later see
// "connection refused"): with a socket filter where the kernel allows it, else,
// without privilege, with IP_MINTTL 255, which the kernel checks only for
// segments addressed to the listener itself. It accepts and serves what is
// queued, then closes the listener, lets handlers finish and waits for every
// graceful close. Stats.Drain says which way it took; if neither worked, the
// connections reset in the queue are counted in Stats.QueueResets and
// ErrorLog says why. When its ctx ends, what remains is reset, counted in
// Stats.Aborted, and Shutdown returns ctx.Err().
package server
