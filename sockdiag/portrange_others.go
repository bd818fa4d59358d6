//go:build !linux

package sockdiag

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

func ephemeralPorts() (PortRange, error) {
	return PortRange{}, fmt.Errorf("sockdiag: ephemeral port range: %w", sys.ErrNotSupported)
}
