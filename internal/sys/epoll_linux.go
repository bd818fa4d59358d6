package sys

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Epoll is an epoll set for descriptors that Go's runtime does not own (the
// server's lingering connections), waited on by one goroutine that blocks in
// epoll_wait(2) itself. An eventfd in the set lets another goroutine wake it.
//
// Why not register the set with Go's network poller (it is pollable)? Then
// every wake-up costs the runtime's epoll_wait, a goroutine switch and two of
// ours (the second to see the set empty); blocking here costs one, and the
// lingerer does little else.
type Epoll struct {
	fd, wake int
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
		e.Close()
		return nil, err
	}
	return e, nil
}

// Add watches fd for input, EOF (EPOLLRDHUP) and errors. It is level
// triggered: a descriptor with unread bytes is reported again, so a reader
// may stop early (fairness) without losing a wake-up.
func (e *Epoll) Add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(e.fd, unix.EPOLL_CTL_ADD, fd, &ev))
}

// Wait blocks the calling goroutine (and its OS thread) until a descriptor
// is ready, Wake is called, or timeout passes (negative: no timeout). It
// appends the ready descriptors to dst; a wake-up or timeout appends none.
func (e *Epoll) Wait(dst []EpollEvent, timeout time.Duration) ([]EpollEvent, error) {
	msec := -1
	if timeout >= 0 {
		// Rounded up: waking before the timer is due would spin.
		msec = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	n, err := unix.EpollWait(e.fd, e.events, msec)
	if errors.Is(err, unix.EINTR) {
		return dst, nil
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

// Close closes the set. No goroutine may be in Wait: Wake it and let it
// return first (closing does not interrupt epoll_wait). Descriptors still
// in the set are not closed.
func (e *Epoll) Close() error {
	unix.Close(e.wake)
	return os.NewSyscallError("close", unix.Close(e.fd))
}
