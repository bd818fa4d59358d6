//go:build !linux

package sockdiag

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

func list(f Filter) ([]Socket, error) {
	return nil, fmt.Errorf("sockdiag: list TCP sockets: %w", sys.ErrNotSupported)
}
