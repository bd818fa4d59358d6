package netns_test

import (
	"net"
	"testing"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPrivateSysctlAndLoopback(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if err := ns.SetSysctl("net/ipv4/tcp_fin_timeout", "2"); err != nil {
		t.Fatal(err)
	}
	if v, _ := ns.Sysctl("net/ipv4/tcp_fin_timeout"); v != "2" {
		t.Fatalf("namespace tcp_fin_timeout = %q, want 2", v)
	}
	// A listener made inside is invisible from the host.
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:0"); return }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Fatalf("host reached a listener inside the namespace at %v", l.Addr())
	}
	var hostFin string
	ns2, _ := netns.New()
	if ns2 != nil {
		hostFin, _ = ns2.Sysctl("net/ipv4/tcp_fin_timeout")
		ns2.Close()
	}
	if hostFin == "2" {
		t.Fatal("a fresh namespace saw the changed tcp_fin_timeout: the sysctl was not private")
	}
}
