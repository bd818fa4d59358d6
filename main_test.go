package teardown_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// pair returns two ends of a fresh loopback TCP connection: local (the
// accepted end, the one the tests close) and peer (the dialing end). A
// positive peerRcvBuf shrinks the peer's receive buffer before connect, so
// that a peer that does not read stops the sender quickly.
func pair(t *testing.T, peerRcvBuf int) (local, peer *net.TCPConn) {
	t.Helper()
	return pairAt(t, "127.0.0.1", peerRcvBuf)
}

// pairAt is pair on a chosen loopback address (127.0.0.1 or ::1); it skips
// the test when the address is not configured.
func pairAt(t *testing.T, host string, peerRcvBuf int) (local, peer *net.TCPConn) {
	t.Helper()
	lc := net.ListenConfig{}
	lc.SetMultipathTCP(false) // plain TCP: Go may default listeners to MPTCP
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		testenv.Require(t, false, fmt.Sprintf("no loopback %s here: %v", host, err))
	}
	defer ln.Close()
	d := net.Dialer{Control: rcvBuf(peerRcvBuf)}
	d.SetMultipathTCP(false)
	pc, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	lconn, err := ln.Accept()
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { lconn.Close(); pc.Close() })
	return lconn.(*net.TCPConn), pc.(*net.TCPConn)
}

// rcvBuf sets SO_RCVBUF before connect, so that the window is negotiated
// small from the start.
func rcvBuf(n int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		if n <= 0 {
			return nil
		}
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// eventually polls f every few milliseconds for up to 5 s, a generous bound
// for a loaded 2-core machine, and fails t if f never returns true.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out after 5s waiting for %s", what)
}

// timeWaitSockets counts TIME-WAIT sockets from local to remote with ss(8),
// which filters in the kernel over sock_diag: on a busy machine
// /proc/net/tcp holds tens of thousands of lines and takes 0.2 s to read.
// The kernel keeps TIME-WAIT as descriptor-less timewait mini-sockets.
func timeWaitSockets(t *testing.T, local, remote net.Addr) int {
	t.Helper()
	_, err := exec.LookPath("ss")
	testenv.Require(t, err == nil, "ss (iproute2) not installed: cannot list TIME-WAIT sockets")
	filter := "( sport = :" + port(local) + " and dport = :" + port(remote) + " )"
	out, err := exec.Command("ss", "-Htan", "state", "time-wait", filter).CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v: %s", err, out)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) != "" {
			n++
		}
	}
	return n
}

func port(a net.Addr) string { return strconv.Itoa(a.(*net.TCPAddr).Port) }
