//go:build !unix

package probe

import "syscall"

// rcvbufControl leaves the receive buffer alone where there is no
// setsockopt on a file descriptor.
func rcvbufControl(int) func(network, address string, c syscall.RawConn) error { return nil }
