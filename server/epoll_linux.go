package server

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
)

// epoll is an epoll set for descriptors that Go's runtime does not own (the
// lingering connections). The set's own descriptor is registered with Go's
// network poller (an epoll set is pollable: readable when one of its
// members is), so the goroutine waiting on it parks like one reading a
// socket, and no OS thread sits in epoll_wait. An eventfd in the set lets
// another goroutine wake it.
//
// Measured (docs/performance.md): blocking an OS thread in epoll_wait instead
// cost about 3 system calls more per connection (the runtime's sysmon and
// thread hand-offs: nanosleep, futex), and the goroutine returning from the
// syscall waits for a P: the median FIN-to-close went from 80 µs to 440 µs.
type epoll struct {
	fd, wake int
	f        *os.File
	rc       syscall.RawConn
	events   []sys.EpollEvent
}

// readyFD is one ready descriptor: fd, and whether the connection is gone
// (EPOLLERR or EPOLLHUP) rather than readable.
type readyFD struct {
	Fd  int
	Err bool
}

// newEpoll creates an epoll set that reports up to batch events per wait.
func newEpoll(batch int) (*epoll, error) {
	fd, err := sys.EpollCreate()
	if err != nil {
		return nil, err
	}
	wake, err := sys.Eventfd()
	if err != nil {
		sys.RawClose(fd)
		return nil, err
	}
	e := &epoll{fd: fd, wake: wake, events: make([]sys.EpollEvent, batch)}
	if err := e.add(wake); err != nil {
		sys.RawClose(wake)
		sys.RawClose(fd)
		return nil, err
	}
	if err := e.register(); err != nil {
		sys.RawClose(wake)
		e.closeSet()
		return nil, err
	}
	return e, nil
}

// closeSet closes the set's descriptor: through its *os.File once register
// made one (closing the number as well would close it twice), else directly.
// Before, a failed SetNonblock left e.f nil, and e.f.Close (nil-safe, it
// returns ErrInvalid) leaked the descriptor.
func (e *epoll) closeSet() {
	if e.f != nil {
		e.f.Close()
		return
	}
	sys.RawClose(e.fd)
}

// register hands the set's descriptor to Go's network poller. O_NONBLOCK is
// what makes os.NewFile try; a deadline is only accepted if it succeeded.
func (e *epoll) register() error {
	if err := sys.SetNonblock(e.fd, true); err != nil {
		return err
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

// add watches fd for input, EOF (EPOLLRDHUP) and errors. It is level
// triggered: a descriptor with unread bytes is reported again, so a reader
// may stop early (fairness) without losing a wake-up.
func (e *epoll) add(fd int) error { return sys.EpollAdd(e.fd, fd, sys.EPOLLIN|sys.EPOLLRDHUP) }

// wait parks the calling goroutine until a descriptor is ready, wakeUp is
// called, or timeout passes (negative: no timeout), and appends the ready
// descriptors to dst; a wake-up or timeout appends none.
func (e *epoll) wait(dst []readyFD, timeout time.Duration) ([]readyFD, error) {
	// The set's file is pollable (register checked it), so deadlines hold.
	if timeout >= 0 {
		_ = e.f.SetReadDeadline(time.Now().Add(timeout))
	} else {
		_ = e.f.SetReadDeadline(time.Time{})
	}
	n := 0
	var err error
	rerr := e.rc.Read(func(fd uintptr) bool {
		// A zero timeout: the runtime's poller did the waiting. Until this
		// returns 0 the set's ready list is not empty; once it is empty, the
		// next ready member is a new edge for the runtime's poller (its
		// registration is edge-triggered), so no wake-up is lost.
		n, err = sys.EpollWait(int(fd), e.events, 0)
		return n > 0 || (err != nil && !errors.Is(err, syscall.EINTR))
	})
	if rerr != nil {
		return dst, nil // the deadline, or the set was closed: the caller decides
	}
	if err != nil {
		return dst, err
	}
	for _, ev := range e.events[:n] {
		if int(ev.Fd) == e.wake {
			var buf [8]byte
			_, _ = sys.RawRead(e.wake, buf[:]) // resets the eventfd; EAGAIN means another read did
			continue
		}
		bad := ev.Events&(sys.EPOLLERR|sys.EPOLLHUP) != 0
		dst = append(dst, readyFD{Fd: int(ev.Fd), Err: bad})
	}
	return dst, nil
}

// wakeUp makes a wait in progress (or the next one) return.
func (e *epoll) wakeUp() error {
	one := [8]byte{1}
	_, err := sys.Write(e.wake, one[:])
	return err
}

// close closes the set. Wake the waiter and let it return first: after
// close, wait returns at once, forever. Descriptors still in the set are not
// closed.
func (e *epoll) close() error {
	sys.RawClose(e.wake)
	return e.f.Close()
}
