package sys

import (
	"errors"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrnoName returns the symbolic name of err's errno ("ECONNRESET"), or ""
// when err carries none.
func ErrnoName(err error) string {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return ""
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "errno" + strconv.Itoa(int(e))
}

// SetSigpipeDefault restores the kernel's default action for SIGPIPE
// (terminate) behind the Go runtime's back, with rt_sigaction(2). The lab
// calls it only in a child process that must die the way a C program with
// default signal handling dies (C05, scenario sigpipe-default).
func SetSigpipeDefault() error {
	var act [4]uintptr // sa_handler = SIG_DFL (0), flags, restorer, mask: all zero
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGPIPE), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	return errnoErr("rt_sigaction", e)
}
