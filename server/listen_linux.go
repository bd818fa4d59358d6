package server

import (
	"net"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
)

// drainListener stops new handshakes on a TCP listener and makes its Accept
// fail at deadline, so that Serve accepts what is queued and then stops.
//
// Why: closing a listener resets (RST) every connection in its accept queue,
// and those clients have already sent their request, so each is a lost reply.
// A socket filter that drops bare SYNs leaves those clients retransmitting
// their SYN (they see "connection refused" once the listener is gone) while
// handshakes already answered complete and are accepted.
func drainListener(l net.Listener, deadline time.Time) bool {
	tl, ok := l.(*net.TCPListener)
	if !ok {
		return false
	}
	if err := sys.Control(tl, sys.DropSYN); err != nil {
		return false
	}
	return tl.SetDeadline(deadline) == nil
}
