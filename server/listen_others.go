//go:build !linux

package server

import (
	"net"
	"time"
)

// drainListener has no way to stop new handshakes here: the listener is
// closed at once, and connections still queued in the kernel are reset.
func drainListener(l net.Listener, deadline time.Time) bool { return false }
