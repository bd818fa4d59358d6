//go:build !linux

package sockdiag

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

func owners() (map[uint32][]Owner, error) {
	return nil, fmt.Errorf("sockdiag: owners: %w", sys.ErrNotSupported)
}
