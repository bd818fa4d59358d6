package sockdiag_test

import (
	"fmt"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// waitFor polls List until ok accepts the rows.
func waitFor(t *testing.T, f sockdiag.Filter, what string, ok func([]sockdiag.Socket) bool) []sockdiag.Socket {
	t.Helper()
	var socks []sockdiag.Socket
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if socks, err = sockdiag.List(f); err != nil {
			t.Fatal(err)
		}
		if ok(socks) {
			return socks
		}
	}
	t.Fatalf("never saw %s; last table:\n%s", what, table(socks))
	return nil
}

// TestAcceptQueue fills the accept queue of a listener nobody accepts on
// (C25). The LISTEN row reports the queue in Recv-Q and the backlog in
// Send-Q; Linux queues one connection more than the backlog.
func TestAcceptQueue(t *testing.T) {
	const backlog = 2
	l := listen(t, "tcp4", "127.0.0.1:0")
	// listen(2) again on a listening socket only changes its backlog.
	if err := sys.Control(l, func(fd int) error { return syscall.Listen(fd, backlog) }); err != nil {
		t.Fatal(err)
	}
	f := sockdiag.Filter{Ports: []uint16{port(l)}, States: []tcpstate.State{tcpstate.Listen}}
	for i := 0; i < backlog+1; i++ {
		dial(t, l.Addr().String(), 10*time.Second)
	}
	socks := waitFor(t, f, "3 queued connections", func(s []sockdiag.Socket) bool { return len(s) == 1 && s[0].RecvQ == backlog+1 })
	// With the queue past its backlog, the listener drops new SYNs: the
	// next connect cannot complete (a short timeout is enough to show it,
	// and a slow machine cannot turn this into a false failure).
	if c, err := dialErr(l.Addr().String(), 300*time.Millisecond); err == nil {
		c.Close()
		t.Errorf("connect to a full accept queue succeeded, want SYN dropped")
	}
	// The queued connections have no descriptor yet (inode 0) but are not
	// orphans: nobody closed them.
	queued := waitFor(t, sockdiag.Filter{Ports: []uint16{port(l)}, States: []tcpstate.State{tcpstate.Established}},
		"the connections on both ends", func(s []sockdiag.Socket) bool { return len(s) == 2*(backlog+1) })
	for _, q := range queued {
		if q.Local.Port() == port(l) && (q.Inode != 0 || q.Orphan) {
			t.Errorf("queued connection %v: want inode 0 and not an orphan", q)
		}
	}
	s := sockdiag.Summarize(time.Now(), socks)
	want := []sockdiag.Listener{{Local: socks[0].Local, Queued: backlog + 1, Backlog: backlog}}
	if diff := gocmp.Diff(want, s.Listeners, addrPortEqual); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}
	if a := sockdiag.Alarms([]sockdiag.Sample{s}, nil); len(a) != 1 || a[0].Kind != sockdiag.AlarmAcceptQueueFull {
		t.Errorf("alarms = %v, want one %s", a, sockdiag.AlarmAcceptQueueFull)
	}
}

func dialErr(addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	d.SetMultipathTCP(false)
	return d.Dial("tcp", addr)
}

func dial(t testing.TB, addr string, timeout time.Duration) net.Conn {
	t.Helper()
	c, err := dialErr(addr, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFilterStates asks the kernel for TIME-WAIT rows only.
func TestFilterStates(t *testing.T) {
	l := listen(t, "tcp4", "127.0.0.1:0")
	c, s := pair(t, l)
	c.Close()
	readEOF(t, s)
	s.Close()
	p := port(l)
	all := waitStates(t, sockdiag.Filter{Ports: []uint16{p}}, map[tcpstate.State]int{tcpstate.Listen: 1, tcpstate.TimeWait: 1})
	tests := []struct {
		name   string
		states []tcpstate.State
		want   []tcpstate.State
	}{
		{"all", nil, []tcpstate.State{tcpstate.TimeWait, tcpstate.Listen}},
		{"time-wait", []tcpstate.State{tcpstate.TimeWait}, []tcpstate.State{tcpstate.TimeWait}},
		{"listen", []tcpstate.State{tcpstate.Listen}, []tcpstate.State{tcpstate.Listen}},
		{"established", []tcpstate.State{tcpstate.Established}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			socks, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{p}, States: tt.states})
			if err != nil {
				t.Fatal(err)
			}
			var got []tcpstate.State
			for _, s := range socks {
				got = append(got, s.State)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("states (-want +got):\n%s\nall rows:\n%s", diff, table(all))
			}
		})
	}
}

// TestFilterPorts: the kernel-side port filter keeps exactly the rows of
// the chosen ports, local or remote.
func TestFilterPorts(t *testing.T) {
	a, b, other := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "tcp6", "[::1]:0"), listen(t, "tcp4", "127.0.0.1:0")
	pair(t, a)
	tests := []struct {
		name  string
		ports []uint16
		want  int
	}{
		{"one port, both ends of a connection", []uint16{port(a)}, 3},
		{"two ports, two families", []uint16{port(a), port(b)}, 4},
		{"the other port", []uint16{port(other)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			socks := waitFor(t, sockdiag.Filter{Ports: tt.ports}, fmt.Sprintf("%d rows", tt.want),
				func(s []sockdiag.Socket) bool { return len(s) == tt.want })
			for _, s := range socks {
				if !(sockdiag.Filter{Ports: tt.ports}).Match(s) {
					t.Errorf("row of another port: %v", s)
				}
			}
		})
	}
	// The longest program the kernel gets: 1000 ports (24 KB of bytecode).
	t.Run("1000 ports", func(t *testing.T) {
		ports := []uint16{port(a)}
		for p := uint16(1); len(ports) < 1000; p++ {
			ports = append(ports, p)
		}
		socks, err := sockdiag.List(sockdiag.Filter{Ports: ports})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(slices.DeleteFunc(socks, func(s sockdiag.Socket) bool { return !(sockdiag.Filter{Ports: []uint16{port(a)}}).Match(s) })); n != 3 {
			t.Errorf("%d rows of port %d among 1000 ports, want 3:\n%s", n, port(a), table(socks))
		}
	})
}
