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
	"github.com/tcpteardown/teardown/internal/sys"
)

// TestRestartWhileOldConnectionLives is claim C23 on the server: after a
// server stops, the connection it closed still holds the port (FIN-WAIT-2 or
// TIME-WAIT). A listener without SO_REUSEADDR cannot bind the port then;
// echo.Listen can, because Go sets SO_REUSEADDR on listeners before bind.
func TestRestartWhileOldConnectionLives(t *testing.T) {
	srv := startServer(t, echo.ServerConfig{})
	addr := srv.Addr().String()
	pr, pw := io.Pipe()
	defer pw.Close()
	c, err := echo.Dial(context.Background(), &echo.ClientConfig{Addr: addr, In: pr})
	if err != nil {
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

	if err := listenWithoutReuseAddr(addr); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("listen %s without SO_REUSEADDR after the server stopped: %v, want EADDRINUSE", addr, err)
	}
	again, err := echo.Listen(context.Background(), &echo.ServerConfig{Addr: addr})
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	again.Close()
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
