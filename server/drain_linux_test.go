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
	"github.com/tcpteardown/teardown/server"
)

// A lingering connection whose peer queued far more than one round of the
// lingerer reads (4 × 32 KiB) before its FIN: the lingerer must come back
// for the rest by itself, because no new input will arrive to wake it. If
// it parked instead, the connection would sit until the idle timeout and be
// closed with input unread (an RST). Here it drains all of it and ends at
// the FIN.
func TestLingererDrainsQueuedInput(t *testing.T) {
	const queued = 1 << 20
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
		IdleTimeout: 3 * time.Second, LingerTime: 10 * time.Second, MaxDrain: 4 << 20}}
	addr := serveBigBuffers(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, 16+queued)); err != nil {
		t.Fatal(err)
	}
	close(sent)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.Copy(io.Discard, c); n != 32 || err != nil {
		t.Fatalf("reply: %d bytes, %v; want 32 and EOF", n, err)
	}
	c.Close() // our FIN, behind the megabyte
	waitFor(t, "the close", func() bool { return closedAll(s.Stats(), 1) })
	st := s.Stats()
	if diff := cmp.Diff(map[teardown.Outcome]uint64{teardown.PeerClosed: 1}, st.ClosedBy); diff != "" {
		t.Errorf("ClosedBy (-want +got):\n%s", diff)
	}
	if st.BytesDrained != queued || st.ResetsSent != 0 {
		t.Errorf("drained %d B with %d resets, want %d B and none", st.BytesDrained, st.ResetsSent, queued)
	}
}

// serveBigBuffers is serve with 4 MiB receive buffers, inherited by accepted
// sockets from the listener, so that a megabyte queues at once.
func serveBigBuffers(t *testing.T, s *server.Server) string {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
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
