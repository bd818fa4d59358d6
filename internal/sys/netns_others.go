//go:build !linux

package sys

import "fmt"

// InNetNS needs Linux's network namespaces.
func InNetNS(nsfd int, fn func() error) error {
	return fmt.Errorf("network namespace: %w", ErrNotSupported)
}

// OnOwnThread needs Linux (per-thread namespaces).
func OnOwnThread(fn func() error) error { return fmt.Errorf("own thread: %w", ErrNotSupported) }

// PanicError is a panic raised again in the caller (Linux only).
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprint(p.Value) }
