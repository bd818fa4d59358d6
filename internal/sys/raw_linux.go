package sys

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The calls in this file never block, so they are made raw: without the
// runtime's entersyscall, a goroutine keeps its P during the call and the
// runtime's sysmon never hands that P to a new OS thread. On a loaded
// machine a close that sends a FIN on loopback can take longer than sysmon's
// 20 µs tick, and each hand-off may start a thread that then lives as long as
// the process (measured: 112 threads after a burst of 10,000 connections,
// 256 at once, on 2 cores; docs/performance.md). The server's lingerer makes
// all its calls here.

// errnoErr wraps a raw call's errno (0: success) as the other calls do.
func errnoErr(op string, e unix.Errno) error {
	if e != 0 {
		return os.NewSyscallError(op, e)
	}
	return nil
}

// ShutRD, ShutWR and ShutRDWR are the hows of Shutdown.
const (
	ShutRD   = unix.SHUT_RD
	ShutWR   = unix.SHUT_WR
	ShutRDWR = unix.SHUT_RDWR
)

// Shutdown is shutdown(2); how is ShutRD, ShutWR or ShutRDWR. It queues a
// FIN (or discards input) and returns: it never blocks.
func Shutdown(fd, how int) error {
	_, _, e := unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), uintptr(how), 0)
	return errnoErr("shutdown", e)
}

// Dup duplicates fd (close-on-exec). Both descriptors name the same socket;
// the kernel closes the connection only when the last one is closed, so a
// duplicate outlives a net.Conn's Close without anything being sent.
func Dup(fd int) (int, error) {
	nfd, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, errnoErr("fcntl", e)
	}
	return int(nfd), nil
}

// RawRead is read(2) for a non-blocking descriptor, made raw: (0, nil) is
// EOF, and an empty socket gives an error wrapping EAGAIN. On a blocking
// descriptor use Read.
func RawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, errnoErr("read", e)
	}
	return int(n), nil
}

// RawClose is close(2) and nothing else, made raw: one system call per
// close matters to a server closing tens of thousands of connections a
// second. Only for a descriptor whose close never blocks (no SO_LINGER
// with a time, or a non-blocking socket); otherwise use Close.
func RawClose(fd int) error {
	_, _, e := unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	return errnoErr("close", e)
}
