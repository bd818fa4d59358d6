package sys

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// EpollEvent is struct epoll_event: Events (EPOLLIN …) and the Fd it was
// registered with.
type EpollEvent = unix.EpollEvent

// Events of an epoll set.
const (
	EPOLLIN    = unix.EPOLLIN
	EPOLLRDHUP = unix.EPOLLRDHUP
	EPOLLERR   = unix.EPOLLERR
	EPOLLHUP   = unix.EPOLLHUP
)

// EpollCreate is epoll_create1(2), close-on-exec.
func EpollCreate() (int, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	return fd, os.NewSyscallError("epoll_create1", err)
}

// EpollAdd is epoll_ctl(EPOLL_CTL_ADD): epfd watches fd for events. It
// never blocks, so it is made raw (raw_linux.go).
func EpollAdd(epfd, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	return errnoErr("epoll_ctl", e)
}

// EpollWait is epoll_wait(2): it fills events with ready descriptors,
// waiting up to msec milliseconds (0: not at all, -1: no limit). An
// interrupted wait returns an error wrapping EINTR.
func EpollWait(epfd int, events []EpollEvent, msec int) (int, error) {
	n, err := unix.EpollWait(epfd, events, msec)
	return n, os.NewSyscallError("epoll_wait", err)
}

// Eventfd is eventfd(2) with counter 0, close-on-exec and non-blocking:
// writing 8 bytes makes it readable, reading them resets it.
func Eventfd() (int, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	return fd, os.NewSyscallError("eventfd", err)
}
