// Package probe finds out, from the outside, how a server closes its
// connections, and whether its way of closing loses data.
//
// A TCP close is only safe for the data in flight when the closer has read
// everything its peer sent. RFC 9293 §3.10.4 lets an implementation answer
// data that arrives for a closed socket with a reset, and Linux does more:
// close() with unread bytes in the receive queue sends an RST at once and
// throws away whatever is still queued for sending (claim C21 of the seed
// claims). The peer's kernel, on that RST, reports ECONNRESET and stops
// delivering the stream. RFC 9112 §9.6 calls this "the TCP reset problem":
// an HTTP server that answers one request with "Connection: close" and then
// closes while a pipelined second request is still arriving resets its own
// reply. The cure is a lingering close: shut down the sending side (a FIN),
// keep reading and discarding until the client's FIN or a timeout, and only
// then close (C22; nginx's lingering_close, this module's server package).
//
// Run opens fresh connections to a server the user named and plays a
// battery of client behaviours against it (pipelined and late requests, a
// half-close, a refused upload, idleness, a slow reader, an abort, a
// restart). Each Check records what the client's socket saw — bytes
// expected from the response's Content-Length and bytes received, whether
// the stream ended with a FIN (read returns EOF) or an RST (ECONNRESET),
// who closed first, the times — and, as root, the packets of its own
// connections. A verdict (ok, risk, fail, n/a) is computed from that
// evidence only, never from what the server says it is.
package probe
