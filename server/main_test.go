package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/server"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// serve starts s on a loopback port and shuts it down at the end of the
// test, checking that Serve returned ErrServerClosed and nothing lingers.
func serve(t testing.TB, s *server.Server) string {
	t.Helper()
	l, err := server.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, s, l)
}

// serveOn is serve on a listener of the test's own.
func serveOn(t testing.TB, s *server.Server, l net.Listener) string {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if st := s.Stats(); st.Lingering != 0 || st.Active != 0 {
			t.Errorf("after Close: %v, want nothing active or lingering", st)
		}
	})
	return l.Addr().String()
}

// reply answers each connection like the churn protocol: read a request of
// reqLen bytes, write a reply of replyLen bytes.
func reply(reqLen, replyLen int) server.HandlerFunc {
	return func(ctx context.Context, c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, reqLen)); err != nil {
			return
		}
		c.Write(make([]byte, replyLen))
	}
}

// waitFor polls cond for up to 10 s: generous for a loaded 2-core machine.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// exchange dials addr, writes req and reads until EOF or an error.
func exchange(addr string, req []byte, delay time.Duration) (got int, err error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(64 << 10)
	if _, err := c.Write(req); err != nil {
		return 0, err
	}
	time.Sleep(delay)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, c)
	return int(n), err
}
