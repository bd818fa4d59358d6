// Package teardown closes TCP connections without losing data and says how
// each close ended.
//
// # Two ways to end a connection: FIN and RST
//
// A TCP connection carries two independent byte streams, one per direction.
// A FIN closes one of them: "I will send nothing more" (RFC 9293 §3.6). It
// travels in sequence after the data, so the peer reads everything we wrote
// and then EOF (claims C08, C12); the peer may keep sending in its own
// direction for as long as it likes (C01). An RST ends both streams at once:
// the sender drops its send queue (bytes written but not yet sent or
// acknowledged are gone), and the peer's read fails with ECONNRESET
// ("connection reset by peer"). Measured on Linux 6.18: bytes that had
// already reached the peer's receive queue are still delivered first, then
// ECONNRESET, then EOF. FIN is a goodbye; RST is hanging up mid-sentence.
//
// # Why a plain close can lose data
//
// close(2) gives the socket to the kernel, which then finishes the
// conversation on its own: queued data, then FIN (C16). But a closed socket
// can no longer read. RFC 2525 §2.17 says what a stack must do when data is
// waiting in the receive queue at close, or arrives afterwards: send RST,
// because the application will never see those bytes (C04, C21). Linux does
// exactly that, and the RST purges our send queue too. The classic victim is
// a server that answers a request, closes, and meanwhile the client had
// pipelined one more request: the unread request turns the close into an
// RST, and the tail of the answer, still in our send queue because the client
// reads slowly, never leaves the machine. The client sees a truncated answer
// and ECONNRESET. The tests of this package reproduce it on loopback.
//
// # The data-safe close
//
// The cure (C22, seed 003; what nginx's lingering close and RFC 9112 §9.6
// describe for HTTP) is to stop writing but keep reading:
//
//	write → shutdown(SHUT_WR) → read and discard until EOF → close
//
// The FIN goes out after our data; whatever the peer still sends is read, so
// nothing is unread at close and no RST is sent; EOF proves the peer has seen
// our FIN, hence every byte before it. Graceful does this, bounded by a total
// time, an idle timeout and a byte budget so that a peer that never closes
// cannot hold us forever, and returns a Report that says how it ended.
// WaitAcked is the weaker check that needs no cooperation: SIOCOUTQ reaching
// zero proves that the peer's kernel (not its application) has every byte.
//
// # SO_LINGER on Linux
//
// SetLinger sets the option the seeds discuss (C16–C20). Measured on Linux
// 6.18 with a reader that did not read and 2.8 MB queued:
//
//   - off (default): close returns at once; the kernel keeps sending in
//     the background, the socket sits in FIN-WAIT-1 as an orphan (C16 holds).
//   - {on, 0}: Abort. RST at once, both queues dropped, no TIME-WAIT; the
//     peer's read fails with ECONNRESET (C17 holds).
//   - {on, N>0}: close blocks until data and FIN are acknowledged (0.5 ms
//     for 1 MiB to a prompt reader on loopback) or N seconds pass (2.01 s for
//     N=2). It blocks although Go's descriptors are O_NONBLOCK, which inet_release
//     ignores (C20 does not hold on Linux). On expiry close returns 0, not
//     EWOULDBLOCK; no RST is sent and nothing is discarded: the socket goes on
//     in the background as with linger off, and the reader later got all
//     2,807,808 bytes and EOF (C19 does not hold on Linux). A raw close(2) on
//     a dup of the descriptor gave the same result, so it is the kernel, not
//     Go's Close, that hides nothing. Success means "acknowledged by the
//     peer's kernel", never "read by its application" (C18).
//
// A positive linger therefore buys little on Linux: it parks a thread and
// cannot report failure. Prefer WaitAcked (bounded by a context) or Graceful.
//
// # Which to use
//
//   - Graceful: servers and clients that end a conversation and must be
//     sure the last reply arrives whole. The peer sees our data, EOF, and
//     its own close completes normally; we hold TIME-WAIT if it closes last.
//   - CloseWrite / Shutdown(c, ShutWrite): protocols that signal "end of
//     request" by half-closing and then read the answer (C08). The peer
//     reads EOF and can still reply.
//   - Shutdown(c, ShutRead): purely local on Linux, and weaker than the
//     seeds say (C07): the peer is told nothing, its data is still
//     acknowledged and queued (C30), and reads still return whatever is
//     queued, before or after the shutdown; only an empty queue reads as EOF.
//   - Abort: shed a hostile or hopeless peer without TIME-WAIT. The peer sees
//     ECONNRESET and may lose data it had not read yet.
//   - Info: look at the state (ESTABLISHED, CLOSE-WAIT, FIN-WAIT-2, …) and
//     the queues of a live connection, as ss(8) would.
//
// Everything works on *net.TCPConn and on *tls.Conn (close_notify is sent
// before the FIN). The queue and TCP_INFO readings are Linux only; elsewhere
// they fail with an error wrapping ErrNotSupported.
package teardown
