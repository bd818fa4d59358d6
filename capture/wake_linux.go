//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// A reader with nothing to read waits in Go's netpoller (epoll), not in a
// poll(2) with a timeout: the packet socket is non-blocking and owned by an
// *os.File the runtime watches. The kernel signals the socket readable when
// it hands a block over (it wakes the socket's waiters when it closes a
// block, full or timed out); the check itself is the ring's next
// block_status, no system call. An idle capture then never wakes: with a
// 50 ms poll timeout each wake-up also woke Go's sysmon, which spun (~95
// nanosleeps a second by strace) until it took the P back. Measured on this
// machine under load (6 Dec 2026), `teardown capture -w` idle for 4 s cost
// 57–76 ms of CPU with the 50 ms timeout, about 32 ms this way (most of the
// rest is the process's start). ctx and Close end a wait at once, through
// the file's deadline and its closing.

// longAgo is a deadline in the past: it ends a wait at once.
var longAgo = time.Unix(1, 0)

// wait blocks until the kernel hands the ring's next block over, ctx is
// done (its error) or the source is closed (io.EOF). It may return nil
// with no block ready; the caller looks again.
func (s *ringSource) wait(ctx context.Context) error {
	if ctx.Done() != nil || s.armed.Load() {
		s.armed.Store(false)
		if err := s.file.SetReadDeadline(time.Time{}); err != nil {
			return io.EOF // closed
		}
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			s.armed.Store(true)
			_ = s.file.SetReadDeadline(longAgo) // fails only when closed, which ends the wait too
		})
		defer stop()
	}
	// The netpoller is edge-triggered, but a hand-over after this check
	// and before the wait is not lost: the runtime notes it and the wait
	// returns at once.
	err := s.rc.Read(func(uintptr) bool { return s.r.ready() })
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.state.Load()&closedBit != 0 || errors.Is(err, os.ErrClosed):
		return io.EOF // Close, ending the wait with "use of closed file"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil // an earlier ctx's deadline, set late: clear it and wait again
	case err != nil:
		return fmt.Errorf("capture: wait: %w", err)
	}
	return nil
}
