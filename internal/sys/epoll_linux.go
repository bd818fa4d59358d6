package sys

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Epoll is an epoll set for descriptors that Go's runtime does not own (the
// server's lingering connections). Its own descriptor is non-blocking and
// registered with Go's network poller, so a goroutine waiting on it parks
// like one waiting on a socket: no OS thread sits in epoll_wait, and a read
// deadline on the set is the lingerer's timer.
type Epoll struct {
	f      *os.File
	rc     syscall.RawConn
	events []unix.EpollEvent
}

// EpollEvent is one ready descriptor: Fd, and whether input (or EOF, or an
// error) is waiting.
type EpollEvent struct {
	Fd  int
	Err bool // EPOLLERR or EPOLLHUP: the connection is gone
}

// NewEpoll creates an epoll set that reports up to batch events per Wait.
func NewEpoll(batch int) (*Epoll, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// O_NONBLOCK makes os.NewFile hand the descriptor to the runtime poller
	// (an epoll set is pollable: it is readable when one of its members is).
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(fd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Epoll{f: f, rc: rc, events: make([]unix.EpollEvent, batch)}, nil
}

// Add watches fd for input, EOF (EPOLLRDHUP) and errors. It is level
// triggered: a descriptor with unread bytes is reported again, so a reader
// may stop early (fairness) without losing a wake-up.
func (e *Epoll) Add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	return e.ctl(unix.EPOLL_CTL_ADD, fd, &ev)
}

// Del stops watching fd. Closing the last descriptor of a socket removes it
// from the set as well, so Del is only needed when fd stays open.
func (e *Epoll) Del(fd int) error { return e.ctl(unix.EPOLL_CTL_DEL, fd, nil) }

func (e *Epoll) ctl(op, fd int, ev *unix.EpollEvent) error {
	var err error
	cerr := e.rc.Control(func(ep uintptr) { err = unix.EpollCtl(int(ep), op, fd, ev) })
	if cerr != nil {
		return cerr
	}
	return os.NewSyscallError("epoll_ctl", err)
}

// Wait parks the calling goroutine until at least one descriptor is ready,
// the deadline passes (os.ErrDeadlineExceeded) or the set is closed
// (os.ErrClosed), and appends the ready descriptors to dst.
func (e *Epoll) Wait(dst []EpollEvent) ([]EpollEvent, error) {
	n := 0
	var werr error
	err := e.rc.Read(func(ep uintptr) bool {
		// A zero timeout: the runtime poller did the waiting. Until this
		// returns 0 the set's ready list is not empty, and once it is empty
		// the next readiness is a new edge for the runtime's poller.
		n, werr = unix.EpollWait(int(ep), e.events, 0)
		return n > 0 || (werr != nil && werr != unix.EINTR)
	})
	if err != nil {
		return dst, err
	}
	if werr != nil {
		return dst, os.NewSyscallError("epoll_wait", werr)
	}
	for _, ev := range e.events[:n] {
		bad := ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0
		dst = append(dst, EpollEvent{Fd: int(ev.Fd), Err: bad})
	}
	return dst, nil
}

// SetDeadline bounds the current and later Waits; the zero time waits
// forever. It is safe to call while another goroutine waits, which is how a
// new, earlier timer wakes the waiter.
func (e *Epoll) SetDeadline(t time.Time) error { return e.f.SetReadDeadline(t) }

// Close closes the set and wakes a waiter with os.ErrClosed. Descriptors
// still in it are not closed.
func (e *Epoll) Close() error { return e.f.Close() }
