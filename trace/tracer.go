package trace

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Config chooses what a Tracer reports. A nil *Config means all TCP sockets
// and the default buffer.
type Config struct {
	Ports []uint16 // TCP ports, either end; empty = all TCP

	// BufferKB is the size of the instance's ring buffer per CPU, in KiB;
	// 0 means 1024. When the reader falls behind the kernel drops events
	// and counts them (Tracer.Lost).
	BufferKB int

	// FinTimeout is net.ipv4.tcp_fin_timeout where the traced sockets live;
	// 0 reads it from the caller's network namespace at Start. Set it when
	// the sockets live in another namespace with its own value (the lab's
	// use 2 s): it decides whether a late FIN still starts TIME-WAIT (see
	// Inferrer.FinTimeout).
	FinTimeout time.Duration
}

const defaultBufferKB = 1024

// Tracer reads the transitions of the chosen sockets from a private tracefs
// instance. Create it with Start; stop it with Close or by cancelling the
// context given to Start.
type Tracer struct {
	dir    string
	clock  Clock
	cfg    Config
	events chan Transition
	fins   chan finEvidence
	done   chan struct{}
	wg     sync.WaitGroup

	lost, bad atomic.Uint64

	closeOnce sync.Once
	closeErr  error
	stopAfter atomic.Pointer[func() bool] // unregisters the ctx watcher
	closePipe func() error                // unblocks the reader
	remove    func() error                // removes the instance (trace_pipe must be closed)
}

type finEvidence struct {
	local, remote netip.AddrPort
	at            time.Time
}

// Available reports whether tracing works here: nil, or an error naming
// what is missing (root, tracefs). Errors about privileges wrap
// os.ErrPermission. It mounts tracefs if it is not mounted yet.
func Available() error { return available() }

// Start creates a tracefs instance, enables the four events filtered to
// cfg.Ports and starts reading. It first removes the instances that killed
// runs left behind (Cleanup).
func Start(ctx context.Context, cfg *Config) (*Tracer, error) {
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	if c.BufferKB < 0 {
		return nil, fmt.Errorf("trace: BufferKB %d is negative", c.BufferKB)
	}
	if c.BufferKB == 0 {
		c.BufferKB = defaultBufferKB
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return start(ctx, &c)
}

// Cleanup removes the teardown-<pid>-<n> instances whose process is gone
// (a run killed before it could Close). Start calls it too.
func Cleanup() error { return cleanup() }

// ErrClosed is returned by operations on a closed Tracer.
var ErrClosed = errors.New("trace: tracer closed")

// Events returns the transitions in kernel order, with two exceptions: an
// inferred TIME-WAIT follows the event that revealed it, and a CLOSE →
// SYN-SENT is held until its socket's next event shows the local port (at
// most about a second). Sort by Time to merge with captured packets. The
// channel is closed once the tracer stopped and its instance is removed.
// Read it promptly: while it is full the kernel buffer fills, then drops
// events (Lost).
func (t *Tracer) Events() <-chan Transition { return t.events }

// Clock returns the monotonic-to-wall-clock conversion measured at Start.
func (t *Tracer) Clock() Clock { return t.clock }

// Instance returns the tracefs directory of the tracer's instance.
func (t *Tracer) Instance() string { return t.dir }

// Lost returns how many events the kernel dropped because its buffer was
// full (the "[LOST n EVENTS]" lines of trace_pipe).
func (t *Tracer) Lost() uint64 { return t.lost.Load() }

// Unparsed returns how many lines could not be decoded (0 unless the
// kernel's format changed).
func (t *Tracer) Unparsed() uint64 { return t.bad.Load() }

// FINReceived feeds the TIME-WAIT inference with outside evidence (a
// captured FIN segment, a socket-table row) that the socket local↔remote
// received its peer's FIN at time at. Peers traced by the same tracer need
// no help: their own LAST-ACK or FIN-WAIT-1 transition is the evidence.
func (t *Tracer) FINReceived(local, remote netip.AddrPort, at time.Time) error {
	select {
	case t.fins <- finEvidence{local, remote, at}:
		return nil
	case <-t.done:
		return ErrClosed
	}
}

// Close stops the tracer and removes its instance. It is idempotent and
// safe to call from several goroutines; every call returns the same error.
func (t *Tracer) Close() error {
	if stop := t.stopAfter.Load(); stop != nil {
		(*stop)()
	}
	return t.shutdown()
}

// shutdown is Close without touching the context watcher, which calls it.
func (t *Tracer) shutdown() error {
	t.closeOnce.Do(func() {
		close(t.done)
		errPipe := t.closePipe()
		// The descriptor is released only when the blocked Read returns,
		// and rmdir of an instance whose trace_pipe is open fails with
		// EBUSY: wait for the reader first.
		t.wg.Wait()
		t.closeErr = errors.Join(errPipe, t.remove())
		close(t.events)
	})
	return t.closeErr
}
