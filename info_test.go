package teardown_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/tcpstate"
)

// view is the part of ConnInfo that does not depend on timing.
type view struct {
	State           tcpstate.State
	Unacked, Unsent int
	Readable        int
}

func viewOf(i teardown.ConnInfo) view { return view{i.State, i.Unacked, i.Unsent, i.Readable} }

// TestInfoStates walks one connection through a half-close and checks what
// Info reports on each side after each step.
func TestInfoStates(t *testing.T) {
	local, peer := pair(t, 0)
	steps := []struct {
		name      string
		do        func() error
		wantLocal view
		wantPeer  view
	}{
		{"established", func() error { return nil },
			view{State: tcpstate.Established}, view{State: tcpstate.Established}},
		{"peer sends 5 bytes", func() error { _, err := peer.Write([]byte("hello")); return err },
			view{State: tcpstate.Established, Readable: 5}, view{State: tcpstate.Established}},
		// The FIN takes a sequence number but is not a readable byte (C12).
		{"peer half-closes", peer.CloseWrite,
			view{State: tcpstate.CloseWait, Readable: 5}, view{State: tcpstate.FinWait2}},
		{"local reads", func() error { _, err := io.ReadFull(local, make([]byte, 5)); return err },
			view{State: tcpstate.CloseWait}, view{State: tcpstate.FinWait2}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			var gotL, gotP view
			eventually(t, "the states to settle", func() bool {
				l, err1 := teardown.Info(local)
				p, err2 := teardown.Info(peer)
				gotL, gotP = viewOf(l), viewOf(p)
				return err1 == nil && err2 == nil && gotL == st.wantLocal && gotP == st.wantPeer
			})
			if diff := cmp.Diff(st.wantLocal, gotL); diff != "" {
				t.Errorf("local (-want +got):\n%s", diff)
			}
		})
	}
	i, err := teardown.Info(local)
	if err != nil || i.RTT <= 0 || i.Local.String() != local.LocalAddr().String() {
		t.Errorf("Info = %+v, %v; want a positive RTT and the local address %v", i, err, local.LocalAddr())
	}
}

// TestWaitAcked: WaitAcked returns only after a slow reader (4 KiB receive
// buffer) has taken the data, ends with ctx when the reader stalls, and
// reports bytes lost to a reset instead of waiting forever.
func TestWaitAcked(t *testing.T) {
	const size = 256 << 10
	tests := []struct {
		name    string
		peer    func(peer *net.TCPConn, read *atomic.Int64)
		timeout time.Duration
		wantErr error
	}{
		{"reader drains late", drainLate, 10 * time.Second, nil},
		{"reader stalls", func(*net.TCPConn, *atomic.Int64) {}, 100 * time.Millisecond, context.DeadlineExceeded},
		{"reader resets", resetLate, 10 * time.Second, teardown.ErrUnacked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, peer := pair(t, 4096)
			local.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := local.Write(make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			var read atomic.Int64
			background(t, peer, func() { tt.peer(peer, &read) })
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err := teardown.WaitAcked(ctx, local)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("WaitAcked = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				checkTaken(t, peer, size, read.Load())
			}
		})
	}
}

// drainLate reads nothing for 50 ms, then everything, counting.
func drainLate(peer *net.TCPConn, read *atomic.Int64) {
	time.Sleep(50 * time.Millisecond)
	buf := make([]byte, 1024)
	for {
		n, err := peer.Read(buf)
		read.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// resetLate reads nothing and resets after 50 ms.
func resetLate(peer *net.TCPConn, _ *atomic.Int64) {
	time.Sleep(50 * time.Millisecond)
	teardown.Abort(peer)
}

// checkTaken asserts that when every byte was acknowledged, the reader had
// read all but at most its receive buffer's worth: the ACKs were held back
// by the reader, not sent ahead of it.
func checkTaken(t *testing.T, peer *net.TCPConn, size int, read int64) {
	t.Helper()
	var rcvbuf int
	err := sys.Control(peer, func(fd int) (err error) {
		rcvbuf, err = sys.GetInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if read < int64(size-rcvbuf) {
		t.Errorf("WaitAcked returned when the reader had read %d of %d bytes (receive buffer %d)", read, size, rcvbuf)
	}
}
