//go:build !linux

package sys

import (
	"errors"
	"os"
)

// ErrDumpInterrupted reports that a sock_diag dump must be repeated (Linux only).
var ErrDumpInterrupted = errors.New("sock_diag dump interrupted by a concurrent change")

// SockDiagDump needs Linux's NETLINK_SOCK_DIAG.
func SockDiagDump(nsfd int, req []byte, fn func(msg []byte) error) error {
	return ErrNotSupported
}

// ReadFileIn reads path; another network namespace needs Linux.
func ReadFileIn(nsfd int, path string) ([]byte, error) {
	if nsfd > 0 {
		return nil, ErrNotSupported
	}
	return os.ReadFile(path)
}
