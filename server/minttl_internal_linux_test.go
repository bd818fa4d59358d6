package server

import (
	"context"
	"net"
	"testing"

	"github.com/tcpteardown/teardown/internal/sys"
)

// A connection accepted from a listener with IP_MINTTL set inherits it (the
// kernel clones the listener), which would drop its peer's segments after a
// DrainMinTTL drain; clearMinTTL lifts it. 64 stands in for the drain's 255
// so that loopback's SYN (TTL 64) still gets through.
func TestMinTTLInheritedAndCleared(t *testing.T) {
	l, err := Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := sys.Control(l.(*net.TCPListener), func(fd int) error { return setMinTTL(fd, 64) }); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := minTTL(t, a); got != 64 {
		t.Errorf("accepted connection's IP_MINTTL = %d, want 64 (inherited from the listener)", got)
	}
	clearMinTTL(a)
	if got := minTTL(t, a); got != 0 {
		t.Errorf("IP_MINTTL after clearMinTTL = %d, want 0", got)
	}
}

func minTTL(t *testing.T, c net.Conn) int {
	t.Helper()
	v := -1
	err := sys.Control(c.(*net.TCPConn), func(fd int) (err error) {
		v, err = sys.GetInt(fd, sys.IPPROTO_IP, sys.IP_MINTTL)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
