package teardown_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcpteardown/teardown"
)

// A peer plays one behaviour on its end of the connection until stop is
// closed or its connection fails. Every loop is bounded in count and time.
type peerFunc func(t *testing.T, local, peer *net.TCPConn, stop <-chan struct{})

// silent never sends and never closes.
func silent(*testing.T, *net.TCPConn, *net.TCPConn, <-chan struct{}) {}

// background runs f in a goroutine that the test waits for at cleanup,
// after closing peer so that a blocked write or read returns.
func background(t *testing.T, peer *net.TCPConn, f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	t.Cleanup(func() { peer.Close(); <-done })
}

// trickle sends one byte every 20 ms, at most 250 times (5 s), until stop.
func trickle(t *testing.T, _, peer *net.TCPConn, stop <-chan struct{}) {
	background(t, peer, func() {
		for i := 0; i < 250; i++ {
			if _, err := peer.Write([]byte{'.'}); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}

// flood sends 256 KiB and returns only once at least budget+2 bytes sit in
// local's receive queue, so that the drain stops with input still unread.
func flood(budget int) peerFunc {
	return func(t *testing.T, local, peer *net.TCPConn, stop <-chan struct{}) {
		background(t, peer, func() { peer.Write(make([]byte, 256<<10)) })
		eventually(t, "the flood to fill local's receive queue", func() bool {
			i, err := teardown.Info(local)
			return err == nil && i.Readable >= budget+2
		})
	}
}

// sendAndClose sends msg, then FIN.
func sendAndClose(msg string) peerFunc {
	return func(t *testing.T, _, peer *net.TCPConn, _ <-chan struct{}) {
		peer.Write([]byte(msg))
		peer.CloseWrite()
	}
}

// reset waits for local's FIN and answers with RST.
func reset(t *testing.T, _, peer *net.TCPConn, _ <-chan struct{}) {
	background(t, peer, func() {
		io.Copy(io.Discard, peer)
		teardown.Abort(peer)
	})
}

func TestGracefulBounds(t *testing.T) {
	const budget = 64 << 10
	tests := []struct {
		name    string
		opts    teardown.Options
		peer    peerFunc
		cancel  time.Duration // cancel ctx after this long; 0 = never
		want    teardown.Report
		wantErr error
		atLeast time.Duration // the bound that must have passed
	}{
		{
			name: "peer closes",
			peer: sendAndClose("late request\n"),
			want: teardown.Report{Outcome: teardown.OutcomePeerClosed, Drained: 13},
		},
		{
			name:    "peer never closes",
			opts:    teardown.Options{IdleTimeout: 200 * time.Millisecond},
			peer:    silent,
			want:    teardown.Report{Outcome: teardown.OutcomeIdleTimeout},
			atLeast: 200 * time.Millisecond,
		},
		{
			name:    "peer trickles forever",
			opts:    teardown.Options{LingerTime: 300 * time.Millisecond, IdleTimeout: time.Second, OnTimeout: teardown.AbortOnTimeout},
			peer:    trickle,
			want:    teardown.Report{Outcome: teardown.OutcomeLingerTimeout, Aborted: true},
			atLeast: 300 * time.Millisecond,
		},
		{
			name: "peer floods, close",
			opts: teardown.Options{MaxDrain: budget},
			peer: flood(budget),
			// Input still unread at close: the kernel sends RST (C21).
			want: teardown.Report{Outcome: teardown.OutcomeBudgetExceeded, Drained: budget + 1, Aborted: true},
		},
		{
			name: "peer floods, abort",
			opts: teardown.Options{MaxDrain: budget, OnTimeout: teardown.AbortOnTimeout},
			peer: flood(budget),
			want: teardown.Report{Outcome: teardown.OutcomeBudgetExceeded, Drained: budget + 1, Aborted: true},
		},
		{
			name:    "peer resets",
			peer:    reset,
			want:    teardown.Report{Outcome: teardown.OutcomePeerReset},
			wantErr: syscall.ECONNRESET,
		},
		{
			name:    "ctx canceled",
			peer:    silent,
			cancel:  100 * time.Millisecond,
			want:    teardown.Report{Outcome: teardown.OutcomeCanceled},
			wantErr: context.Canceled,
			atLeast: 100 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, peer := pair(t, 0)
			stop := make(chan struct{})
			defer close(stop)
			tt.peer(t, local, peer, stop)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			began := time.Now() // before Graceful starts: its Duration is shorter
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			rep, err := teardown.Graceful(ctx, local, &tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Graceful error = %v, want %v", err, tt.wantErr)
			}
			if took := time.Since(began); took < tt.atLeast {
				t.Errorf("Graceful returned after %v, before its bound %v", took, tt.atLeast)
			}
			if tt.cancel > 0 {
				// The test's timer, not Graceful, set this bound: it ran
				// from before Graceful's start, which Duration is not.
				tt.atLeast = 0
			}
			checkReport(t, tt.want, rep, tt.atLeast)
		})
	}
}

// checkReport compares the fields that do not depend on timing, and checks
// that Duration covers the bound without running away (10 s is generous).
func checkReport(t *testing.T, want, got teardown.Report, atLeast time.Duration) {
	t.Helper()
	ignore := cmpopts.IgnoreFields(teardown.Report{}, "Duration")
	switch want.Outcome {
	case teardown.OutcomePeerReset:
		// SIOCOUTQ counts our FIN's sequence number too; whether the
		// peer's ACK of it was processed before its RST is a race.
		ignore = cmpopts.IgnoreFields(teardown.Report{}, "Duration", "Unacked")
	case teardown.OutcomeLingerTimeout:
		// How many bytes trickled in depends on the scheduler.
		ignore = cmpopts.IgnoreFields(teardown.Report{}, "Duration", "Drained")
		if got.Drained == 0 {
			t.Errorf("Drained = 0, want the trickled bytes")
		}
	}
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if got.Duration < atLeast || got.Duration > 10*time.Second {
		t.Errorf("Duration = %v, want between %v and 10s", got.Duration, atLeast)
	}
}

// TestGracefulSink checks that drained bytes go to the sink in order.
func TestGracefulSink(t *testing.T) {
	local, peer := pair(t, 0)
	msg := bytes.Repeat([]byte("0123456789"), 10000)
	go func() { peer.Write(msg); peer.CloseWrite() }()
	var sink bytes.Buffer
	rep, err := teardown.Graceful(context.Background(), local, &teardown.Options{Sink: &sink})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sink.Bytes(), msg) || rep.Drained != int64(len(msg)) {
		t.Errorf("sink got %d bytes, Drained %d; want the %d bytes sent", sink.Len(), rep.Drained, len(msg))
	}
}

// TestGracefulNoHalfClose: a net.Pipe has no CloseWrite, so Graceful must
// refuse (not silently close plainly), and still close the conn.
func TestGracefulNoHalfClose(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	rep, err := teardown.Graceful(context.Background(), a, nil)
	if !errors.Is(err, teardown.ErrNoHalfClose) {
		t.Errorf("Graceful(net.Pipe) error = %v, want ErrNoHalfClose", err)
	}
	if rep.Outcome != teardown.OutcomeFailed {
		t.Errorf("Outcome = %v, want %v", rep.Outcome, teardown.OutcomeFailed)
	}
	if err != nil && strings.Count(err.Error(), "teardown:") != 1 {
		t.Errorf("Graceful error %q: want the package prefix once", err)
	}
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("other end read %v, want EOF (Graceful must close the conn)", err)
	}
}

// noDeadline is a connection wrapper without deadline support, as some
// wrappers are: SetReadDeadline fails. It keeps CloseWrite (embedded), so a
// data-safe close is still possible.
type noDeadline struct{ *net.TCPConn }

var errNoDeadline = errors.New("deadlines not supported")

func (noDeadline) SetDeadline(time.Time) error     { return errNoDeadline }
func (noDeadline) SetReadDeadline(time.Time) error { return errNoDeadline }

// Every bound holds on a connection that refuses deadlines: a timer closes
// it instead. Before, Graceful ignored the failed SetReadDeadline and read
// until the peer closed (> 3 s with a 200 ms ctx and 300 ms LingerTime).
func TestGracefulBoundsWithoutDeadlines(t *testing.T) {
	tests := []struct {
		name    string
		opts    teardown.Options
		peer    peerFunc
		cancel  time.Duration
		want    teardown.Outcome
		wantErr error
		atLeast time.Duration
	}{
		{name: "ctx before linger time", opts: teardown.Options{LingerTime: 300 * time.Millisecond},
			peer: silent, cancel: 200 * time.Millisecond, want: teardown.OutcomeCanceled,
			wantErr: context.Canceled, atLeast: 200 * time.Millisecond},
		{name: "idle timeout", opts: teardown.Options{IdleTimeout: 200 * time.Millisecond},
			peer: silent, want: teardown.OutcomeIdleTimeout, atLeast: 200 * time.Millisecond},
		{name: "linger time while the peer trickles", opts: teardown.Options{LingerTime: 300 * time.Millisecond},
			peer: trickle, want: teardown.OutcomeLingerTimeout, atLeast: 300 * time.Millisecond},
		{name: "peer closes", opts: teardown.Options{LingerTime: 10 * time.Second},
			peer: sendAndClose("late\n"), want: teardown.OutcomePeerClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, peer := pair(t, 0)
			stop := make(chan struct{})
			defer close(stop)
			tt.peer(t, local, peer, stop)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			began := time.Now() // before Graceful starts: its Duration is shorter
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			type result struct {
				r   teardown.Report
				err error
			}
			done := make(chan result, 1)
			go func() {
				r, err := teardown.Graceful(ctx, noDeadline{local}, &tt.opts)
				done <- result{r, err}
			}()
			var res result
			select {
			case res = <-done:
			case <-time.After(10 * time.Second):
				peer.Close() // unblocks Graceful's read
				t.Fatalf("Graceful still waiting after 10 s with bounds of at most 300 ms")
			}
			if res.r.Outcome != tt.want || !errors.Is(res.err, tt.wantErr) {
				t.Errorf("Graceful = %v, %v; want %v, %v", res.r.Outcome, res.err, tt.want, tt.wantErr)
			}
			if took := time.Since(began); took < tt.atLeast {
				t.Errorf("Graceful returned after %v, before its bound %v", took, tt.atLeast)
			}
			// Graceful's own bounds run from its own start, as its Duration
			// does; a ctx cancelled by the test's timer does not (under load
			// Graceful may start a few ms after that timer: 198.5 ms once).
			if tt.cancel == 0 && res.r.Duration < tt.atLeast {
				t.Errorf("Duration = %v, want at least the bound %v", res.r.Duration, tt.atLeast)
			}
			if _, err := local.Write([]byte{1}); !errors.Is(err, net.ErrClosed) {
				t.Errorf("write after Graceful: %v, want net.ErrClosed (Graceful always closes)", err)
			}
		})
	}
}
