package sockdiag_test

import (
	"cmp"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// row is the part of a Socket a scenario predicts; Side tells which end
// of the scenario the socket is.
type row struct {
	State    tcpstate.State
	Side     string // "listen", "server" (local port = the listener's), "client"
	RecvQ    uint32
	SendQ    uint32
	Timer    sockdiag.Timer
	Orphan   bool
	Info     bool
	Shutdown sockdiag.Shutdown
}

func project(socks []sockdiag.Socket, p uint16) []row {
	rows := make([]row, len(socks))
	for i, s := range socks {
		side := "client"
		if s.Local.Port() == p {
			side = map[bool]string{true: "listen", false: "server"}[s.State == tcpstate.Listen]
		}
		rows[i] = row{s.State, side, s.RecvQ, s.SendQ, s.Timer, s.Orphan, s.Info != nil, s.Shutdown}
	}
	return rows
}

func somaxconn(t *testing.T) uint32 {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n)
}

// TestListStates builds each teardown state on loopback, checks what List
// reports for it, and checks that ss(8) shows the very same rows.
func TestListStates(t *testing.T) {
	backlog := somaxconn(t) // Go listens with net.core.somaxconn as backlog
	listenRow := row{State: tcpstate.Listen, Side: "listen", SendQ: backlog, Info: true}
	// Go turns keepalive on (15 s) for every dialed and accepted
	// connection, so connected sockets carry a keepalive timer.
	estab := func(side string) row {
		return row{State: tcpstate.Established, Side: side, Timer: sockdiag.TimerKeepalive, Info: true}
	}
	tests := []struct {
		name    string
		network string
		addr    string
		act     func(t *testing.T, c, s *net.TCPConn)
		want    []row
	}{{
		name: "listener only", network: "tcp4", addr: "127.0.0.1:0",
		want: []row{listenRow},
	}, {
		name: "established pair", network: "tcp4", addr: "127.0.0.1:0",
		act:  func(*testing.T, *net.TCPConn, *net.TCPConn) {},
		want: []row{estab("client"), estab("server"), listenRow},
	}, {
		name: "established pair IPv6", network: "tcp6", addr: "[::1]:0",
		act:  func(*testing.T, *net.TCPConn, *net.TCPConn) {},
		want: []row{estab("client"), estab("server"), listenRow},
	}, {
		// C29: the FIN is queued as one byte of "data" until read, so
		// Recv-Q is 1. The closed client is an orphan in FIN-WAIT-2 and,
		// with tcp_fin_timeout ≤ 60 s, a mini-socket on the timewait timer.
		name: "close-wait, EOF not read", network: "tcp4", addr: "127.0.0.1:0",
		act: func(t *testing.T, c, s *net.TCPConn) { c.Close() },
		want: []row{
			{State: tcpstate.FinWait2, Side: "client", Timer: sockdiag.TimerTimeWait, Orphan: true},
			{State: tcpstate.CloseWait, Side: "server", RecvQ: 1, Timer: sockdiag.TimerKeepalive, Info: true, Shutdown: sockdiag.ShutRD},
			listenRow,
		},
	}, {
		name: "close-wait, EOF read but never closed", network: "tcp4", addr: "127.0.0.1:0",
		act: func(t *testing.T, c, s *net.TCPConn) { c.Close(); readEOF(t, s) },
		want: []row{
			{State: tcpstate.FinWait2, Side: "client", Timer: sockdiag.TimerTimeWait, Orphan: true},
			{State: tcpstate.CloseWait, Side: "server", Timer: sockdiag.TimerKeepalive, Info: true, Shutdown: sockdiag.ShutRD},
			listenRow,
		},
	}, {
		// A half-closed client still holds its descriptor: a full
		// FIN-WAIT-2 socket, not an orphan, send side shut (C30).
		name: "half-close", network: "tcp4", addr: "127.0.0.1:0",
		act: func(t *testing.T, c, s *net.TCPConn) { c.CloseWrite() },
		want: []row{
			{State: tcpstate.FinWait2, Side: "client", Timer: sockdiag.TimerKeepalive, Info: true, Shutdown: sockdiag.ShutWR},
			{State: tcpstate.CloseWait, Side: "server", RecvQ: 1, Timer: sockdiag.TimerKeepalive, Info: true, Shutdown: sockdiag.ShutRD},
			listenRow,
		},
	}, {
		name: "time-wait on the active closer", network: "tcp4", addr: "127.0.0.1:0",
		act: func(t *testing.T, c, s *net.TCPConn) { c.Close(); readEOF(t, s); s.Close() },
		want: []row{
			{State: tcpstate.TimeWait, Side: "client", Timer: sockdiag.TimerTimeWait},
			listenRow,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listen(t, tt.network, tt.addr)
			p := port(l)
			if tt.act != nil {
				c, s := pair(t, l)
				tt.act(t, c, s)
			}
			got := waitStates(t, sockdiag.Filter{Ports: []uint16{p}}, counts(tt.want))
			sorted := slices.SortedFunc(slices.Values(tt.want), byStateSide)
			if diff := gocmp.Diff(sorted, slices.SortedFunc(slices.Values(project(got, p)), byStateSide)); diff != "" {
				t.Errorf("List rows mismatch (-want +got):\n%s", diff)
			}
			compareSS(t, p, got)
			checkTimers(t, got)
		})
	}
}

// addrPortEqual lets cmp compare netip.AddrPort (unexported fields).
var addrPortEqual = gocmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })

func byStateSide(a, b row) int {
	return cmp.Or(cmp.Compare(a.State, b.State), cmp.Compare(a.Side, b.Side))
}

func counts(rows []row) map[tcpstate.State]int {
	m := map[tcpstate.State]int{}
	for _, r := range rows {
		m[r.State]++
	}
	return m
}

func readEOF(t *testing.T, c *net.TCPConn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
}

// compareSS checks List against ss(8) for the same port: the same rows,
// queues, timers, inodes and socket cookies.
func compareSS(t *testing.T, p uint16, got []sockdiag.Socket) {
	t.Helper()
	want := ss(t, p)
	slices.SortFunc(want, func(a, b ssRow) int {
		return cmp.Or(cmp.Compare(a.State, b.State), a.Local.Compare(b.Local), a.Remote.Compare(b.Remote))
	})
	if diff := gocmp.Diff(want, asSS(got), addrPortEqual); diff != "" {
		t.Errorf("List differs from ss -tanoe (-ss +List):\n%s", diff)
	}
}

// checkTimers: a pending timer has time left, bounded by what the kernel
// can have set (TIME-WAIT lasts 60 s, Go's keepalive idle time is 15 s).
func checkTimers(t *testing.T, socks []sockdiag.Socket) {
	t.Helper()
	limit := map[sockdiag.Timer]time.Duration{sockdiag.TimerTimeWait: 60 * time.Second, sockdiag.TimerKeepalive: 15 * time.Second}
	for _, s := range socks {
		if max, ok := limit[s.Timer]; ok && (s.Expires <= 0 || s.Expires > max) {
			t.Errorf("%v: expiry %v, want in (0, %v]", s, s.Expires, max)
		}
	}
}
