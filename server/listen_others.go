//go:build !linux

package server

import (
	"fmt"
	"net"
	"time"

	"github.com/tcpteardown/teardown"
)

var errNoDrain = fmt.Errorf("stopping new handshakes: %w", teardown.ErrNotSupported)

// drainListener has no way to stop new handshakes here: the listener is
// closed at once, and connections still queued in the kernel are reset.
func drainListener(l net.Listener, deadline time.Time, onMinTTL func()) (Drain, error) {
	return DrainNone, errNoDrain
}

func clearMinTTL(c net.Conn) error { return nil }

func drainMore(l net.Listener, err error) bool { return false }

func queued(l net.Listener) int { return 0 }
