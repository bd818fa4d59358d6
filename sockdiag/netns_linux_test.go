package sockdiag_test

import (
	"net"
	"os"
	"testing"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// TestNetNS: a listener inside a fresh namespace is listed when NetNS
// names that namespace, and not in the caller's own table.
func TestNetNS(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var l *net.TCPListener
	if err := ns.Do(func() error { l = listen(t, "tcp4", "127.0.0.1:0"); return nil }); err != nil {
		t.Fatal(err)
	}
	p := port(l)
	inside, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{p}, NetNS: int(ns.Handle())})
	if err != nil {
		t.Fatal(err)
	}
	if len(inside) != 1 || inside[0].State != tcpstate.Listen {
		t.Fatalf("inside the namespace: got\n%s\nwant one LISTEN row", table(inside))
	}
	host, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{p}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range host {
		if s.Inode == inside[0].Inode {
			t.Errorf("the namespace's listener shows up in the host table: %v", s)
		}
	}
}

// TestNetNSBadHandle: a descriptor that is not a namespace is an error,
// not a silent listing of the host.
func TestNetNSBadHandle(t *testing.T) {
	testenv.RequireRoot(t)
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if socks, err := sockdiag.List(sockdiag.Filter{NetNS: int(f.Fd())}); err == nil {
		t.Errorf("List with /dev/null as namespace = %d rows, want an error", len(socks))
	}
}

// BenchmarkListNetNS: 1000 connected sockets alone in a fresh namespace.
func BenchmarkListNetNS(b *testing.B) {
	testenv.RequireRoot(b)
	ns, err := netns.New()
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	var l, idle *net.TCPListener
	ns.Do(func() error {
		l = listen(b, "tcp4", "127.0.0.1:0")
		for i := 0; i < 500; i++ {
			pair(b, l)
		}
		idle = listen(b, "tcp4", "127.0.0.1:0")
		return nil
	})
	b.Run("port with 1000 sockets", func(b *testing.B) {
		benchList(b, sockdiag.Filter{Ports: []uint16{port(l)}, NetNS: int(ns.Handle())}, 1001)
	})
	b.Run("idle port beside them", func(b *testing.B) {
		benchList(b, sockdiag.Filter{Ports: []uint16{port(idle)}, NetNS: int(ns.Handle())}, 1)
	})
}
