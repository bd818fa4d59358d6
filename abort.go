package teardown

import (
	"fmt"
	"net"
	"time"
)

// Abort closes c abortively: SO_LINGER {on, 0} and close. Linux then sends
// RST instead of FIN, throws away whatever was still queued in both
// directions, and the socket goes straight to CLOSE with no TIME-WAIT
// (claim C17). The peer's next read or write fails with ECONNRESET (or EPIPE
// for a write after that), and data it had not yet read from us may be lost:
// an RST makes its kernel drop its receive queue too.
//
// Use it to shed a misbehaving or hopeless peer, never as a fast way to end a
// healthy connection. On a *tls.Conn no close_notify is sent: an abort is, by
// definition, not a clean end. Abort always closes c.
func Abort(c net.Conn) error {
	tc, err := tcpConn(c)
	if err != nil {
		c.Close()
		return fmt.Errorf("teardown: abort: %w", err)
	}
	// Closing the TCP socket directly (not the tls.Conn) is what keeps the
	// close_notify alert from being written before the RST.
	if err := tc.SetLinger(0); err != nil {
		_ = tc.Close() // the SetLinger error is the one to report
		return fmt.Errorf("teardown: abort: %w", err)
	}
	if err := tc.Close(); err != nil {
		return fmt.Errorf("teardown: abort: %w", err)
	}
	return nil
}

// SetLinger sets SO_LINGER on the TCP socket under c.
//
//   - d < 0: off, the default. close returns at once and the kernel sends what
//     is queued, then FIN, in the background (C16).
//   - d == 0: the abortive close of Abort: RST, no TIME-WAIT (C17).
//   - d > 0: a blocking linger of d rounded up to whole seconds.
//
// What Linux 6.18 does with a positive linger, as measured for this package
// (see the package doc): close blocks until the peer has acknowledged all
// data and our FIN, or until d passes. It blocks even though Go's sockets are
// non-blocking (so C20 does not hold on Linux), and it parks one OS thread
// while it waits. On expiry close still returns success (no EWOULDBLOCK, C19
// does not hold either), no RST is sent, nothing is discarded: the kernel
// keeps sending the rest in the background exactly as with linger off.
// Success, in both cases, means the peer's kernel acknowledged the bytes, not
// that its application read them (C18); use Graceful to know that.
func SetLinger(c net.Conn, d time.Duration) error {
	tc, err := tcpConn(c)
	if err != nil {
		return fmt.Errorf("teardown: set linger: %w", err)
	}
	if err := tc.SetLinger(lingerSeconds(d)); err != nil {
		return fmt.Errorf("teardown: set linger: %w", err)
	}
	return nil
}

// lingerSeconds maps d onto the convention of (*net.TCPConn).SetLinger and
// struct linger: negative off, zero abort, otherwise whole seconds.
func lingerSeconds(d time.Duration) int {
	switch {
	case d < 0:
		return -1
	case d == 0:
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
