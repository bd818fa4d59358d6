package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/server"
)

// A lingering connection whose peer queued more than one round of the
// lingerer's reads (4 × 32 KiB, for fairness) and then goes quiet without
// closing: the rest must still be read in later rounds although nothing new
// arrives, which holds because the lingerer's epoll set is level-triggered.
// Otherwise the idle timeout would find input unread and close with an RST,
// having drained one round. Here everything is drained, and the idle
// timeout closes cleanly.
func TestLingererDrainsQueuedInput(t *testing.T) {
	// Four rounds: besides input, the ACK of our FIN wakes the lingerer once
	// more, so one or two rounds would be read even by a set that forgot
	// queued input.
	const queued = 512 << 10
	sent := make(chan struct{})
	handler := server.HandlerFunc(func(ctx context.Context, c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, 16)); err != nil {
			return
		}
		<-sent
		waitQueued(t, c, queued) // all of it in our receive queue at the hand-off
		c.Write(make([]byte, 32))
	})
	s := &server.Server{Handler: handler, CloseOptions: &teardown.Options{
		IdleTimeout: 300 * time.Millisecond, LingerTime: 10 * time.Second, MaxDrain: 4 << 20}}
	addr := serveBigBuffers(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // only after the server's close: this peer goes quiet
	if _, err := c.Write(make([]byte, 16+queued)); err != nil {
		t.Fatal(err)
	}
	close(sent)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.Copy(io.Discard, c); n != 32 || err != nil {
		t.Fatalf("reply: %d bytes, %v; want 32 and EOF", n, err)
	}
	waitFor(t, "the close", func() bool { return closedAll(s.Stats(), 1) })
	st := s.Stats()
	if diff := cmp.Diff(map[teardown.Outcome]uint64{teardown.OutcomeIdleTimeout: 1}, st.ClosedBy); diff != "" {
		t.Errorf("ClosedBy (-want +got):\n%s", diff)
	}
	if st.BytesDrained != queued || st.ResetsSent != 0 {
		t.Errorf("drained %d B with %d resets, want %d B and none", st.BytesDrained, st.ResetsSent, queued)
	}
}

// serveBigBuffers is serve with 4 MiB receive buffers, inherited by accepted
// sockets from the listener, so that half a megabyte queues at once. Root
// forces the size past net.core.rmem_max (208 KiB by default); others get
// what rmem_max allows (4 MiB on the project's machines).
func serveBigBuffers(t *testing.T, s *server.Server) string {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			opt := unix.SO_RCVBUF
			if testenv.IsRoot() {
				opt = unix.SO_RCVBUFFORCE
			}
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, 4<<20)
		})
		return errors.Join(err, serr)
	}}
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, s, l)
}

// waitQueued polls SIOCINQ until n bytes wait unread on c (10 s at most).
func waitQueued(t *testing.T, c net.Conn, n int) {
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Error(err)
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		q := 0
		rc.Control(func(fd uintptr) { q, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		if q >= n {
			return
		}
	}
	t.Errorf("never saw %d bytes queued", n)
}
