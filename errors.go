package teardown

import (
	"errors"

	"github.com/tcpteardown/teardown/internal/sys"
)

// ErrNotSupported is wrapped by every operation that needs Linux.
var ErrNotSupported = sys.ErrNotSupported

// ErrNoHalfClose is wrapped when a connection cannot close only its sending
// direction (a net.Pipe, a net.UDPConn, a wrapper without CloseWrite). Without
// a half-close there is no way to tell the peer "no more data" while still
// reading its answer, so a data-safe close is impossible (claim C22): the
// functions that need one say so instead of falling back to a plain close.
var ErrNoHalfClose = errors.New("connection cannot half-close (no CloseWrite)")

// ErrNotTCP is wrapped when an operation needs the TCP socket under a
// connection (socket options, queue ioctls) and c does not lead to one.
var ErrNotTCP = errors.New("not a TCP connection")

// ErrUnacked is wrapped by WaitAcked when the connection ended (reset by the
// peer, or retransmissions gave up) while bytes were still unacknowledged:
// those bytes never reached the peer.
var ErrUnacked = errors.New("connection ended with bytes unacknowledged")
