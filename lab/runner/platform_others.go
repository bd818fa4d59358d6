//go:build !linux

package runner

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

// platformErr says the lab needs Linux: its scenarios use Linux's socket
// options, queue ioctls and TCP_INFO, and its claims are about Linux.
func platformErr() error {
	return fmt.Errorf("lab: scenarios run on Linux only: %w", sys.ErrNotSupported)
}
