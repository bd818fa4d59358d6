package capture_test

import (
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/vishvananda/netlink"
)

// vethPair builds two private namespaces joined by a veth pair:
// 10.99.0.1 (td0, in a) and 10.99.0.2 (td1, in b). Nothing leaves them.
func vethPair(t *testing.T) (a, b *netns.NS) {
	t.Helper()
	var err error
	if a, err = netns.New(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = netns.New(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	err = a.Do(func() error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "td0"}, PeerName: "td1"}
		if err := netlink.LinkAdd(veth); err != nil {
			return err
		}
		peer, err := netlink.LinkByName("td1")
		if err != nil {
			return err
		}
		if err := netlink.LinkSetNsFd(peer, int(b.Handle())); err != nil {
			return err
		}
		return linkUp("td0", "10.99.0.1/24")
	})
	if err == nil {
		err = b.Do(func() error { return linkUp("td1", "10.99.0.2/24") })
	}
	if err != nil {
		t.Fatalf("veth pair: %v", err)
	}
	return a, b
}

func linkUp(name, cidr string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(l, addr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return netlink.LinkSetUp(l)
}

// TestLiveVeth: on a veth interface each frame is seen once (no outgoing
// copy to drop), and both directions are captured — the outgoing ones too,
// which the lo filter would have dropped.
func TestLiveVeth(t *testing.T) {
	testenv.RequireRoot(t)
	a, b := vethPair(t)
	var l *net.TCPListener
	if err := b.Do(func() error { l = listen(t, "tcp4", "10.99.0.2:0"); return nil }); err != nil {
		t.Fatal(err)
	}
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	var c *capture.Capture
	if err := a.Do(func() (err error) {
		c, err = capture.Open(&capture.Config{Interface: "td0", Ports: []uint16{port}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var client netip.AddrPort
	if err := a.Do(func() error { client = exchange(t, l, false); return nil }); err != nil {
		t.Fatal(err)
	}
	segs := collect(t, c, closedBy(client))
	checkGraceful(t, segs, client)
	checkNoDuplicates(t, segs)
}
