package echo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/tcpteardown/teardown/internal/echo"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// TestRestartWhileOldConnectionLives is claim C23 on the server: after a
// server stops, the connection it closed still holds the port (FIN-WAIT-2 or
// TIME-WAIT). A listener without SO_REUSEADDR cannot bind the port then;
// echo.Listen can, because Go sets SO_REUSEADDR on listeners before bind.
//
// It runs in a private network namespace, because on the host the claim
// holds only while the host's TIME-WAIT table has room. Measured on this
// machine (Linux 6.18) while other tests churned loopback connections: the
// host's table sat at tcp_max_tw_buckets (131072, TcpExtTCPTimeWaitOverflow
// over a million), so the server's closed socket skipped FIN-WAIT-2 and
// TIME-WAIT altogether (tcp_time_wait drops the socket when it cannot
// allocate the mini-socket). Its port was free at once: a plain listen
// succeeded, or a connect() elsewhere took it as a source port and the
// restart failed with "address already in use". A namespace has its own
// table, its own port space, and no other process's connections.
func TestRestartWhileOldConnectionLives(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	srv := serveIn(t, ns)
	addr := srv.Addr().String()
	pr, pw := io.Pipe()
	defer pw.Close()
	var c *echo.Client
	if err := ns.Do(func() (err error) {
		c, err = echo.Dial(context.Background(), &echo.ClientConfig{Addr: addr, In: pr})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clientDone := make(chan error, 1)
	go func() { clientDone <- c.Run(context.Background()) }()
	fmt.Fprintln(pw, "aaa")
	waitFor(t, srv.out, "send bytes: 7")
	if err := srv.stop(t); err != nil { // the server closes first: its socket lingers on in FIN-WAIT-2/TIME-WAIT
		t.Fatal(err)
	}
	if err := <-clientDone; err != nil {
		t.Fatal(err)
	}
	checkRestart(t, ns, addr)
}

// serveIn starts a server on a kernel-chosen port inside ns.
func serveIn(t *testing.T, ns *netns.NS) *server {
	t.Helper()
	out := &syncBuffer{}
	var srv *echo.Server
	if err := ns.Do(func() (err error) {
		srv, err = echo.Listen(context.Background(), &echo.ServerConfig{Addr: "127.0.0.1:0", Out: out})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return serve(t, srv, out)
}

// checkRestart asserts that, in ns, addr refuses a listener without
// SO_REUSEADDR and accepts echo.Listen's.
func checkRestart(t *testing.T, ns *netns.NS, addr string) {
	t.Helper()
	var plain, again error
	if err := ns.Do(func() error {
		plain = listenWithoutReuseAddr(addr)
		var srv *echo.Server
		if srv, again = echo.Listen(context.Background(), &echo.ServerConfig{Addr: addr}); again == nil {
			srv.Close()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(plain, syscall.EADDRINUSE) {
		t.Errorf("listen %s without SO_REUSEADDR after the server stopped: %v, want EADDRINUSE", addr, plain)
	}
	if again != nil {
		t.Errorf("restart on %s: %v", addr, again)
	}
}

// listenWithoutReuseAddr listens on addr after turning off the SO_REUSEADDR
// that Go has just set.
func listenWithoutReuseAddr(addr string) error {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = sys.SetInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 0)
		})
		return errors.Join(err, serr)
	}}
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err == nil {
		ln.Close()
	}
	return err
}
