package sys

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Epoll is an epoll set for descriptors that Go's runtime does not own (the
// server's lingering connections). The set's own descriptor is registered
// with Go's network poller (an epoll set is pollable: readable when one of its
// members is), so the goroutine waiting on it parks like one reading a
// socket, and no OS thread sits in epoll_wait. An eventfd in the set lets
// another goroutine wake it.
//
// Measured (docs/performance.md): blocking an OS thread in epoll_wait instead
// cost about 3 system calls more per connection (the runtime's sysmon and
// thread hand-offs: nanosleep, futex), and the goroutine returning from the
// syscall waits for a P: the median FIN-to-close went from 80 µs to 440 µs.
type Epoll struct {
	fd, wake int
	f        *os.File
	rc       syscall.RawConn
	events   []unix.EpollEvent
}

// EpollEvent is one ready descriptor: Fd, and whether the connection is
// gone (EPOLLERR or EPOLLHUP) rather than readable.
type EpollEvent struct {
	Fd  int
	Err bool
}

// NewEpoll creates an epoll set that reports up to batch events per Wait.
func NewEpoll(batch int) (*Epoll, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	e := &Epoll{fd: fd, wake: wake, events: make([]unix.EpollEvent, batch)}
	if err := e.Add(wake); err != nil {
		unix.Close(wake)
		unix.Close(fd)
		return nil, err
	}
	if err := e.register(); err != nil {
		unix.Close(wake)
		e.closeSet()
		return nil, err
	}
	return e, nil
}

// closeSet closes the set's descriptor: through its *os.File once register
// made one (closing the number as well would close it twice), else directly.
// Before, a failed SetNonblock left e.f nil, and e.f.Close (nil-safe, it
// returns ErrInvalid) leaked the descriptor.
func (e *Epoll) closeSet() {
	if e.f != nil {
		e.f.Close()
		return
	}
	unix.Close(e.fd)
}

// register hands the set's descriptor to Go's network poller. O_NONBLOCK is
// what makes os.NewFile try; a deadline is only accepted if it succeeded.
func (e *Epoll) register() error {
	if err := unix.SetNonblock(e.fd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	e.f = os.NewFile(uintptr(e.fd), "epoll")
	rc, err := e.f.SyscallConn()
	if err != nil {
		return err
	}
	e.rc = rc
	if err := e.f.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("epoll set not pollable by the runtime: %w", err)
	}
	return nil
}

// Add watches fd for input, EOF (EPOLLRDHUP) and errors. It is level
// triggered: a descriptor with unread bytes is reported again, so a reader
// may stop early (fairness) without losing a wake-up.
func (e *Epoll) Add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	// Raw, as the lingerer's other calls (raw_linux.go): it never blocks.
	_, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(e.fd), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	return errnoErr("epoll_ctl", errno)
}

// Wait parks the calling goroutine until a descriptor is ready, Wake is
// called, or timeout passes (negative: no timeout), and appends the ready
// descriptors to dst; a wake-up or timeout appends none.
func (e *Epoll) Wait(dst []EpollEvent, timeout time.Duration) ([]EpollEvent, error) {
	if timeout >= 0 {
		e.f.SetReadDeadline(time.Now().Add(timeout))
	} else {
		e.f.SetReadDeadline(time.Time{})
	}
	n := 0
	var err error
	rerr := e.rc.Read(func(fd uintptr) bool {
		// A zero timeout: the runtime's poller did the waiting. Until this
		// returns 0 the set's ready list is not empty; once it is empty, the
		// next ready member is a new edge for the runtime's poller (its
		// registration is edge-triggered), so no wake-up is lost.
		n, err = unix.EpollWait(int(fd), e.events, 0)
		return n > 0 || (err != nil && err != unix.EINTR)
	})
	if rerr != nil {
		return dst, nil // the deadline, or the set was closed: the caller decides
	}
	if err != nil {
		return dst, os.NewSyscallError("epoll_wait", err)
	}
	for _, ev := range e.events[:n] {
		if int(ev.Fd) == e.wake {
			var buf [8]byte
			unix.Read(e.wake, buf[:])
			continue
		}
		bad := ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0
		dst = append(dst, EpollEvent{Fd: int(ev.Fd), Err: bad})
	}
	return dst, nil
}

// Wake makes a Wait in progress (or the next one) return.
func (e *Epoll) Wake() error {
	one := [8]byte{1}
	_, err := unix.Write(e.wake, one[:])
	return os.NewSyscallError("write", err)
}

// Close closes the set. Wake the waiter and let it return first: after
// Close, Wait returns at once, forever. Descriptors still in the set are not
// closed.
func (e *Epoll) Close() error {
	unix.Close(e.wake)
	return e.f.Close()
}
