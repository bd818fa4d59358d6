package teardown_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/sys"
)

// TestAbortVsGraceful: Abort makes the peer's read fail with ECONNRESET and
// leaves no TIME-WAIT behind (C17); the graceful close of the same
// connection ends in EOF and leaves the closer in TIME-WAIT (C14), which
// proves the check can see one.
func TestAbortVsGraceful(t *testing.T) {
	tests := []struct {
		name         string
		close        func(net.Conn) error
		wantReadErr  error
		wantTimeWait int
	}{
		{"abort", teardown.Abort, syscall.ECONNRESET, 0},
		{"graceful", func(c net.Conn) error {
			_, err := teardown.Graceful(context.Background(), c, nil)
			return err
		}, nil, 1},
	}
	for _, host := range []string{"127.0.0.1", "::1"} {
		for _, tt := range tests {
			t.Run(tt.name+" "+host, func(t *testing.T) {
				local, peer := pairAt(t, host, 0)
				abortOrGraceful(t, local, peer, tt.close, tt.wantReadErr, tt.wantTimeWait)
			})
		}
	}
}

// abortOrGraceful writes, closes local with closeFn and checks the peer's
// read and the TIME-WAIT sockets left on local's side.
func abortOrGraceful(t *testing.T, local, peer *net.TCPConn, closeFn func(net.Conn) error, wantReadErr error, wantTimeWait int) {
	if _, err := local.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(peer)
		readErr <- err
		peer.Close() // lets Graceful see our FIN answered
	}()
	if err := closeFn(local); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-readErr; !errors.Is(err, wantReadErr) {
		t.Errorf("peer's read error = %v, want %v", err, wantReadErr)
	}
	eventually(t, fmt.Sprintf("%d TIME-WAIT socket(s) on the closer's side", wantTimeWait), func() bool {
		return timeWaitSockets(t, local.LocalAddr(), local.RemoteAddr()) == wantTimeWait
	})
}

// TestAbortClosesNonTCP: Abort must close whatever it is given, even when it
// cannot abort it.
func TestAbortClosesNonTCP(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	if err := teardown.Abort(a); !errors.Is(err, teardown.ErrNotTCP) {
		t.Errorf("Abort(net.Pipe) = %v, want ErrNotTCP", err)
	}
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("other end read %v, want EOF", err)
	}
}

// TestSetLingerOption checks the SO_LINGER value each duration sets.
func TestSetLingerOption(t *testing.T) {
	type linger struct {
		On  bool
		Sec int
	}
	tests := []struct {
		name string
		d    time.Duration
		want linger
	}{
		{"negative is off", -1, linger{false, 0}},
		{"zero aborts", 0, linger{true, 0}},
		{"rounded up", 1500 * time.Millisecond, linger{true, 2}},
		{"whole seconds", 3 * time.Second, linger{true, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, _ := pair(t, 0)
			if err := teardown.SetLinger(local, tt.d); err != nil {
				t.Fatal(err)
			}
			var got linger
			err := sys.Control(local, func(fd int) (err error) {
				got.On, got.Sec, err = sys.GetLinger(fd)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SO_LINGER (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLingerExpiry records what Linux does with SO_LINGER {1, 1} when the
// peer does not read (C18–C20): Close blocks for the linger time although
// Go's descriptor is non-blocking, then returns nil; nothing is discarded
// and no RST is sent, so the reader later gets every byte and EOF.
func TestLingerExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 1 s linger")
	}
	local, peer := pair(t, 4096)
	local.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	n, _ := local.Write(make([]byte, 1<<20)) // fills the queues, then times out
	if err := teardown.SetLinger(local, time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := local.Close()
	took := time.Since(start)
	got, rerr := io.Copy(io.Discard, peer)
	type outcome struct {
		CloseErr, ReadErr error
		Received          int64
		Blocked           bool
	}
	want := outcome{Received: int64(n), Blocked: true}
	res := outcome{err, rerr, got, took >= 900*time.Millisecond}
	if diff := cmp.Diff(want, res, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("linger expiry (-want +got):\n%s\nClose took %v", diff, took)
	}
	t.Logf("Close blocked %v with %d bytes queued; reader then got %d bytes and EOF", took, n, got)
}
