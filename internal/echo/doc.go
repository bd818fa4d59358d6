// Package echo is the pair of programs the seed documents experiment with
// (seed 001, seed 003), rewritten as library code: a server that answers
// every message with "Hi, MSG" after pretending to work for a while, and a
// client driven by lines of text that can close or half-close its socket at
// a moment the user chooses. `teardown serve` and `teardown client` are thin
// wrappers around Server and Client.
//
// # Why these two programs
//
// The server's delay opens a window: the client can end its side of the
// connection while the reply is still being "computed". What happens to
// that reply depends only on how the client ended its side.
//
// Experiment A, "aaa" then "close": close(2) ends both directions for the
// client (claim C03). Its kernel still sends a FIN (RFC 9293 §3.6), so the
// server cannot tell a close from a half-close. The server's late write
// succeeds (`send bytes: 7`): the bytes merely went into its send buffer
// (C06). They reach a socket that no process can read any more, and the
// client's kernel answers them with RST (RFC 9293 §3.5.2, C04). What the
// server's next read says is where Linux and the seed's macOS transcript
// part ways: seed 003 shows "Connection reset by peer", but on Linux the FIN
// arrived before the RST and is still queued, so the read returns EOF and the
// server prints `client closed`. The RST is not lost, it just moves the
// socket from CLOSE-WAIT to CLOSE and leaves EPIPE pending: a second write
// would fail with "broken pipe". The reply itself is lost either way.
//
// Experiment B, "aaa" then "shutdown": shutdown(SHUT_WR) sends the same FIN,
// but the client keeps its reading side (C08, C30). The late "Hi, aaa" is
// delivered and printed, the server reads EOF (`client closed`) and closes,
// and the client reads the server's FIN as EOF (`server terminated`, C12):
// the full four-way close, with no byte lost.
//
// # Broken pipes in Go
//
// The seed's C server ignores SIGPIPE so that writing to a reset connection
// returns EPIPE instead of killing the process (C05). A Go program needs no
// such step: the runtime only lets SIGPIPE kill the program for writes to
// standard output and standard error; a write to any other descriptor, a
// socket included, simply fails with EPIPE ("broken pipe"), which the server
// prints like any other error.
//
// # Listening sockets
//
// The server disables MPTCP (Go may otherwise pick it when the kernel allows
// it) so that the wire shows plain TCP. It needs no SO_REUSEADDR call of its
// own: Go sets SO_REUSEADDR on every listening socket before bind, which is
// what lets a restarted server bind a port that old connections still use
// (C23; TestRestartWhileOldConnectionLives proves it).
package echo
