package sockdiag_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// TestFinWait2Orphan: a client that closes while the server stays in
// CLOSE-WAIT becomes an orphan in FIN-WAIT-2. What the kernel keeps of it
// depends on net.ipv4.tcp_fin_timeout: up to 60 s (TIME-WAIT's length) the
// full socket is swapped at once for a timewait mini-socket that reports
// FIN-WAIT-2 as its state; above 60 s the full socket stays, on its
// keepalive timer, for the part above 60 s. Each case runs in its own
// namespace, so the sysctl never touches the host.
func TestFinWait2Orphan(t *testing.T) {
	testenv.RequireRoot(t)
	tests := []struct {
		finTimeout int // seconds
		wantTimer  sockdiag.Timer
		wantInfo   bool // a full socket has tcp_info, a mini-socket not
		maxExpires time.Duration
	}{
		{finTimeout: 2, wantTimer: sockdiag.TimerTimeWait, maxExpires: 2 * time.Second},
		{finTimeout: 60, wantTimer: sockdiag.TimerTimeWait, maxExpires: 60 * time.Second},
		{finTimeout: 90, wantTimer: sockdiag.TimerKeepalive, wantInfo: true, maxExpires: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("tcp_fin_timeout=%d", tt.finTimeout), func(t *testing.T) {
			ns, err := netns.New()
			if err != nil {
				t.Fatal(err)
			}
			defer ns.Close()
			if err := ns.SetSysctl("net/ipv4/tcp_fin_timeout", fmt.Sprint(tt.finTimeout)); err != nil {
				t.Fatal(err)
			}
			var l *net.TCPListener
			var c *net.TCPConn
			if err := ns.Do(func() error {
				l = listen(t, "tcp4", "127.0.0.1:0")
				c, _ = pair(t, l)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			c.Close() // the server never closes: it stays in CLOSE-WAIT
			f := sockdiag.Filter{Ports: []uint16{port(l)}, NetNS: int(ns.Handle()), States: []tcpstate.State{tcpstate.FinWait2}}
			socks := waitFor(t, f, "a FIN-WAIT-2 orphan", func(s []sockdiag.Socket) bool { return len(s) == 1 })
			s := socks[0]
			if !s.Orphan || s.Timer != tt.wantTimer || (s.Info != nil) != tt.wantInfo || s.Expires <= 0 || s.Expires > tt.maxExpires {
				t.Errorf("got %v (info %v, expires %v); want orphan, timer %s, info %v, expiry in (0, %v]",
					s, s.Info != nil, s.Expires, tt.wantTimer, tt.wantInfo, tt.maxExpires)
			}
		})
	}
}
