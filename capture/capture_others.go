//go:build !linux

package capture

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

// open reports that AF_PACKET capture needs Linux.
func open(c *Config) (source, error) {
	return nil, fmt.Errorf("AF_PACKET capture: %w", sys.ErrNotSupported)
}
