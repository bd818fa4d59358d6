//go:build !linux

package wire

import (
	"fmt"
	"syscall"

	"github.com/tcpteardown/teardown/internal/sys"
)

func preflight() error { return fmt.Errorf("wire: %w", sys.ErrNotSupported) }

func userNS() *syscall.SysProcAttr { return nil }
