//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/tcpteardown/teardown/internal/sys"
)

// A reader with nothing to read waits in Go's netpoller (epoll), not in a
// poll(2) with a timeout: afpacket is asked never to block (poll timeout
// 0) and the wait is done on a duplicate of its packet socket. The kernel
// signals the socket readable when it hands a block to user space
// (packet_poll: the block before the kernel's current one is no longer
// TP_STATUS_KERNEL). An idle capture then never wakes: with a 50 ms poll
// timeout each wake-up also woke Go's sysmon, which spun (~95 nanosleeps
// a second by strace) until it took the P back. Measured on this machine
// under load (6 Dec 2026), `teardown capture -w` idle for 4 s cost
// 57–76 ms of CPU with the 50 ms timeout, about 32 ms this way (most of the
// rest is the process's start). ctx and Close end a wait at once,
// through the file's deadline and its closing.

// newWaker duplicates tp's packet socket (close-on-exec, non-blocking)
// into an *os.File that Go's netpoller watches. gopacket keeps the
// descriptor unexported; reflect reads it (go.mod pins the version).
func newWaker(tp *afpacket.TPacket) (*os.File, error) {
	fd := reflect.ValueOf(tp).Elem().FieldByName("fd")
	if !fd.IsValid() || !fd.CanInt() {
		return nil, errors.New("packet socket: afpacket.TPacket has no fd field")
	}
	dup, err := sys.Dup(int(fd.Int())) // F_DUPFD_CLOEXEC
	if err != nil {
		return nil, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
	}
	if err := sys.SetNonblock(dup, true); err != nil {
		sys.RawClose(dup)
		return nil, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return os.NewFile(uintptr(dup), "packet socket"), nil
}

// longAgo is a deadline in the past: it ends a wait at once.
var longAgo = time.Unix(1, 0)

// wait blocks until the ring has a block for us, ctx is done (its error)
// or the source is closed (io.EOF).
func (s *afSource) wait(ctx context.Context) error {
	rc, err := s.wake.SyscallConn()
	if err != nil {
		return io.EOF // closed
	}
	if err := s.wake.SetReadDeadline(time.Time{}); err != nil {
		return io.EOF
	}
	stop := context.AfterFunc(ctx, func() { _ = s.wake.SetReadDeadline(longAgo) }) // a pollable dup takes deadlines; Close ends the wait otherwise
	defer stop()
	err = rc.Read(func(fd uintptr) bool { return readable(int(fd)) })
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.closed.Load() || errors.Is(err, os.ErrClosed):
		return io.EOF // Close, ending the wait with "use of closed file"
	case err != nil:
		return fmt.Errorf("capture: wait: %w", err)
	}
	return nil
}

// readable asks the socket without blocking. An error counts as readable:
// afpacket's own poll then reports it.
func readable(fd int) bool {
	ok, err := sys.Poll(fd, false, 0)
	return err != nil || ok
}
