package server

import (
	"errors"
	"net"
	"os"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
)

// drainListener stops new handshakes on a TCP listener and makes its Accept
// fail at deadline, so that Serve accepts what is queued and then stops.
// Clients whose SYN is dropped retransmit it and are refused once the
// listener is gone: they never sent a request. Handshakes already answered
// complete and are accepted.
//
// The socket filter is exact but may need privilege; IP_MINTTL needs none
// (see Drain). onMinTTL runs before the bound is set, so that Serve clears
// it on every connection accepted from then on.
func drainListener(l net.Listener, deadline time.Time, onMinTTL func()) (Drain, error) {
	tl, ok := l.(*net.TCPListener)
	if !ok {
		return DrainNone, errNotTCPListener
	}
	d := DrainSYNFilter
	if skipSYNFilter || sys.Control(tl, dropSYN) != nil {
		onMinTTL()
		if err := sys.Control(tl, func(fd int) error { return setMinTTL(fd, 255) }); err != nil {
			return DrainNone, err
		}
		d = DrainMinTTL
	}
	if err := tl.SetDeadline(deadline); err != nil {
		return DrainNone, err
	}
	return d, nil
}

// drainMore reports whether Serve should keep accepting after err ended a
// drain's Accept: the drain's deadline passed with connections still queued.
// Go's Accept fails at a passed deadline without trying accept4, so a Serve
// goroutine scheduled late (a loaded machine, a burst) would otherwise leave
// them to be reset (measured: 2 in one run of TestShutdownUnderChurn as root).
// New SYNs are dropped, so the queue only shrinks and this ends.
func drainMore(l net.Listener, err error) bool {
	tl, ok := l.(*net.TCPListener)
	if !ok || !errors.Is(err, os.ErrDeadlineExceeded) || queued(l) == 0 {
		return false
	}
	return tl.SetDeadline(time.Now().Add(drainGrace)) == nil
}

var errNotTCPListener = errors.New("not a TCP listener")

// skipSYNFilter makes drainListener take the unprivileged way even as root,
// so that tests (which CI runs as root) cover it. Set only by tests.
var skipSYNFilter bool

// clearMinTTL lifts the bound a connection inherited from its listener
// during a DrainMinTTL drain: its peer's segments would be dropped.
func clearMinTTL(c net.Conn) error {
	if tc, ok := c.(*net.TCPConn); ok {
		return sys.Control(tc, func(fd int) error { return setMinTTL(fd, 0) })
	}
	return nil
}

// queued returns how many connections wait in l's accept queue (0 when it
// cannot tell): closing l resets them.
func queued(l net.Listener) int {
	tl, ok := l.(*net.TCPListener)
	if !ok {
		return 0
	}
	n := 0
	if err := sys.Control(tl, func(fd int) (err error) { n, err = listenQueue(fd); return err }); err != nil {
		return 0 // cannot tell, as documented
	}
	return n
}
