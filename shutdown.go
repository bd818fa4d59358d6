package teardown

import (
	"crypto/tls"
	"fmt"
	"net"
)

// How selects the direction of Shutdown.
type How int

// The directions of shutdown(2).
const (
	ShutRead  How = iota + 1 // SHUT_RD
	ShutWrite                // SHUT_WR
	ShutBoth                 // SHUT_RDWR
)

// String returns the name the client command uses: "rd", "wr", "rdwr".
func (h How) String() string {
	switch h {
	case ShutRead:
		return "rd"
	case ShutWrite:
		return "wr"
	case ShutBoth:
		return "rdwr"
	}
	return fmt.Sprintf("How(%d)", int(h))
}

// closeWriter is what *net.TCPConn, *net.UnixConn and *tls.Conn have in
// common: a way to end the sending direction only.
type closeWriter interface{ CloseWrite() error }

type closeReader interface{ CloseRead() error }

// netConner is implemented by *tls.Conn and other wrappers that expose the
// connection they run over.
type netConner interface{ NetConn() net.Conn }

// CloseWrite half-closes c: the kernel sends a FIN after the data already
// queued (RFC 9293 §3.6, claim C08), and the peer reads EOF once it has read
// everything before it (C12). Reading from c still works.
//
// On a *tls.Conn the TLS close_notify alert goes out first, then the FIN on
// the underlying connection, so the peer can tell a clean end from a
// truncation attack. Any other connection needs a CloseWrite method; one
// without (net.Pipe) gets an error wrapping ErrNoHalfClose.
func CloseWrite(c net.Conn) error {
	if err := closeWrite(c); err != nil {
		return fmt.Errorf("teardown: close write: %w", err)
	}
	return nil
}

// closeWrite is CloseWrite with errors not yet prefixed: each exported
// function prefixes the errors it returns once ("teardown: op: …").
func closeWrite(c net.Conn) error {
	if tc, ok := c.(*tls.Conn); ok {
		return closeWriteTLS(tc)
	}
	cw, ok := c.(closeWriter)
	if !ok {
		return fmt.Errorf("%T: %w", c, ErrNoHalfClose)
	}
	return cw.CloseWrite()
}

// closeWriteTLS sends close_notify (tls.Conn.CloseWrite does only that) and
// then the FIN. Go's tls.Conn.CloseWrite deliberately leaves the TCP side
// open, but a peer waiting for EOF on the socket needs the FIN too.
func closeWriteTLS(tc *tls.Conn) error {
	if err := tc.CloseWrite(); err != nil {
		return err
	}
	return closeWrite(tc.NetConn())
}

// Shutdown calls shutdown(2) in direction how. ShutWrite is CloseWrite.
// ShutRead is a local matter on Linux: the peer is told nothing, its data
// is still acknowledged and queued (C30), and reads return what is queued
// (even bytes that arrive later) and EOF only when the queue is empty, so
// the discard that C07 describes does not happen. ShutBoth is
// ShutRead then ShutWrite, which is what SHUT_RDWR does (C09). Unlike close,
// shutdown acts on the connection, whoever else holds the descriptor (C10),
// and it frees nothing: c must still be closed (C11).
func Shutdown(c net.Conn, how How) error {
	var err error
	switch how {
	case ShutWrite:
		err = closeWrite(c)
	case ShutRead:
		err = closeRead(c)
	case ShutBoth:
		if err = closeRead(c); err == nil {
			err = closeWrite(c)
		}
	default:
		err = fmt.Errorf("invalid direction %d (want ShutRead, ShutWrite or ShutBoth)", int(how))
	}
	if err != nil {
		return fmt.Errorf("teardown: shutdown %v: %w", how, err)
	}
	return nil
}

// closeRead shuts the reading side. A *tls.Conn has no CloseRead of its own:
// the underlying connection's is used, as TLS sends nothing for it.
func closeRead(c net.Conn) error {
	if cr, ok := c.(closeReader); ok {
		return cr.CloseRead()
	}
	if nc, ok := c.(netConner); ok {
		return closeRead(nc.NetConn())
	}
	return fmt.Errorf("%T: %w", c, ErrNoHalfClose)
}

// tcpConn finds the *net.TCPConn under c, looking through *tls.Conn and any
// other wrapper with a NetConn method.
func tcpConn(c net.Conn) (*net.TCPConn, error) {
	for i := 0; i < 8 && c != nil; i++ { // bounded: a wrapper might return itself
		switch v := c.(type) {
		case *net.TCPConn:
			return v, nil
		case netConner:
			c = v.NetConn()
		default:
			return nil, fmt.Errorf("%T: %w", c, ErrNotTCP)
		}
	}
	return nil, fmt.Errorf("%T: %w", c, ErrNotTCP)
}
