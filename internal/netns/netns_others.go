//go:build !linux

// Package netns creates private network namespaces (Linux only).
package netns

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

// NS is a private network namespace (Linux only).
type NS struct{}

// New reports that namespaces need Linux.
func New() (*NS, error) { return nil, fmt.Errorf("netns: %w", sys.ErrNotSupported) }

func (n *NS) Do(fn func() error) error           { return fmt.Errorf("netns: %w", sys.ErrNotSupported) }
func (n *NS) SetSysctl(path, value string) error { return fmt.Errorf("netns: %w", sys.ErrNotSupported) }
func (n *NS) Sysctl(path string) (string, error) {
	return "", fmt.Errorf("netns: %w", sys.ErrNotSupported)
}
func (n *NS) Close() error { return nil }
