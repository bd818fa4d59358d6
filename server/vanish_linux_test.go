package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/server"
)

// A peer that vanishes without a FIN: client and server live in a private
// network namespace whose lo is brought down after the request arrived, so
// the reply and our FIN are retransmitted into the void and nothing ever
// comes back. The lingerer releases the descriptor at the idle bound (the
// kernel keeps retransmitting the orphan; that is its business, and it
// ends with the namespace).
func TestVanishedPeer(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	gone := make(chan struct{})
	h := reply(16, 32)
	s := &server.Server{CloseOptions: &teardown.Options{IdleTimeout: 300 * time.Millisecond},
		Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
			<-gone
			h(ctx, c)
		})}
	var l net.Listener
	var c net.Conn
	err = ns.Do(func() (err error) {
		if l, err = server.Listen(context.Background(), "127.0.0.1:0"); err != nil {
			return err
		}
		c, err = net.Dial("tcp", l.Addr().String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go s.Serve(l)
	defer s.Close()
	c.Write(make([]byte, 16))
	waitFor(t, "the handler", func() bool { return s.Stats().Active == 1 })
	if err := ns.Do(loDown); err != nil {
		t.Fatal(err)
	}
	close(gone)
	waitFor(t, "the release", func() bool { return closedAll(s.Stats(), 1) })
	want := map[teardown.Outcome]uint64{teardown.OutcomeIdleTimeout: 1}
	if diff := cmp.Diff(want, s.Stats().ClosedBy); diff != "" {
		t.Errorf("ClosedBy (-want +got):\n%s\nstats: %v", diff, s.Stats())
	}
}

func loDown() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	return netlink.LinkSetDown(lo)
}
