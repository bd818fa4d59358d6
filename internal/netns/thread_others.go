//go:build !linux

package netns

import (
	"fmt"
	"os"
)

// DoFD needs Linux's network namespaces.
func DoFD(nsfd int, fn func() error) error { return errNS }

// OnOwnThread needs Linux (per-thread namespaces).
func OnOwnThread(fn func() error) error { return errNS }

// PanicError is a panic raised again in the caller (Linux only).
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprint(p.Value) }

// ReadFileIn reads path; another network namespace needs Linux.
func ReadFileIn(nsfd int, path string) ([]byte, error) {
	if nsfd > 0 {
		return nil, errNS
	}
	return os.ReadFile(path)
}
