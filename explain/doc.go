// Package explain says, for every TCP connection in a capture, how it
// ended and whether data was lost: the diagnosis behind `teardown explain`.
//
// # How connections end
//
// An orderly close is two FINs, one per direction, each acknowledged
// (RFC 9293 §3.6). The side that sends the first FIN is the active closer:
// after the exchange it waits in TIME-WAIT (60 s on Linux) so that a
// retransmitted final FIN, sent because the last ACK was lost, can still be
// answered (claim C14). Between the two FINs the other direction may keep
// carrying data: a half-close, what shutdown(SHUT_WR) does (C01, C08).
//
// An RST ends a connection at once and throws away what the receiving
// kernel holds: data it had not delivered to its application, and data its
// own application had queued. Linux sends one when a socket is closed with
// SO_LINGER {on, 0} (C17), when it is closed with unread data in its
// receive buffer (C21), and when data arrives for a socket already closed
// (C04, C06) — the last is the "TCP reset problem" of RFC 9112 §9.6: a
// server that closes after its response while the client's next request is
// still arriving resets the client, whose kernel then discards the
// response it had not read yet.
//
// # The vocabulary (a contract of `teardown explain -json`)
//
// Endings: clean, half-close, simultaneous (FINs crossed), abort (RST
// without the sender's FIN), reset-after-close (FIN, then the peer's data,
// then RST from the FIN's sender), refused (SYN answered by RST), timeout
// (retransmissions, then silence or RST), open (the capture ended first;
// each side's state is inferred), unknown.
//
// Flags: fin-retransmitted, last-ack-lost, data-lost (with the count),
// response-at-risk, zero-window-at-close, syn-retransmitted,
// time-wait-on-client, time-wait-on-server.
//
// What a capture shows is what passed the capture point: an ACK seen there
// may still be lost beyond it, which is how last-ack-lost is recognised
// (the FIN comes again after its ACK was seen).
package explain
