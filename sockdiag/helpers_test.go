package sockdiag_test

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// listen opens a plain-TCP listener (MPTCP off: Go may default to it) on a
// free loopback port and closes it when the test ends. The port must not
// appear in any other row: a free port can still be the remote port of
// TIME-WAIT sockets left by earlier runs (it lies in the ephemeral range),
// and those would be counted with the test's own rows.
func listen(t testing.TB, network, addr string) *net.TCPListener {
	t.Helper()
	for range 20 {
		l := listenOnce(t, network, addr)
		socks, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{port(l)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(socks) == 1 {
			t.Cleanup(func() { l.Close() })
			return l
		}
		l.Close()
	}
	t.Fatal("no loopback port without leftover sockets in 20 tries")
	return nil
}

func listenOnce(t testing.TB, network, addr string) *net.TCPListener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return l.(*net.TCPListener)
}

func port(l net.Listener) uint16 { return uint16(l.Addr().(*net.TCPAddr).Port) }

// pair connects to l and accepts; both ends are closed when the test ends.
func pair(t testing.TB, l *net.TCPListener) (client, server *net.TCPConn) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	d.SetMultipathTCP(false)
	c, err := d.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c.(*net.TCPConn), s
}

// waitStates polls List until the port shows exactly the states want
// (as a multiset), or fails after a generous timeout.
func waitStates(t testing.TB, f sockdiag.Filter, want map[tcpstate.State]int) []sockdiag.Socket {
	t.Helper()
	var socks []sockdiag.Socket
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if socks, err = sockdiag.List(f); err != nil {
			t.Fatal(err)
		}
		if equalCounts(sockdiag.Count(socks), want) {
			return socks
		}
	}
	t.Fatalf("port %v never reached states %v; last table:\n%s", f.Ports, want, table(socks))
	return nil
}

func equalCounts(a, b map[tcpstate.State]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func table(socks []sockdiag.Socket) string {
	var b strings.Builder
	for _, s := range socks {
		b.WriteString(s.String() + "\n")
	}
	return b.String()
}

// ssRow is what `ss -tanoeH` prints for one socket.
type ssRow struct {
	State         tcpstate.State
	RecvQ, SendQ  uint32
	Local, Remote netip.AddrPort
	Timer         string
	Inode         uint32
	Cookie        uint64
}

// ss runs the real ss(8) for the port; it is the reference List must match.
func ss(t testing.TB, p uint16) []ssRow {
	t.Helper()
	filter := "( sport = :" + strconv.Itoa(int(p)) + " or dport = :" + strconv.Itoa(int(p)) + " )"
	out, err := exec.Command("ss", "-tanoeH", "state", "all", filter).CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v\n%s", err, out)
	}
	var rows []ssRow
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			rows = append(rows, parseSS(t, line))
		}
	}
	return rows
}

func parseSS(t testing.TB, line string) ssRow {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 5 {
		t.Fatalf("ss line %q: too few fields", line)
	}
	st, err := tcpstate.Parse(f[0])
	if err != nil {
		t.Fatalf("ss line %q: %v", line, err)
	}
	r := ssRow{State: st, RecvQ: atou(t, f[1]), SendQ: atou(t, f[2]), Local: addr(t, f[3]), Remote: addr(t, f[4])}
	for _, x := range f[5:] {
		switch {
		case strings.HasPrefix(x, "timer:("):
			r.Timer = strings.SplitN(strings.TrimPrefix(x, "timer:("), ",", 2)[0]
		case strings.HasPrefix(x, "ino:"):
			r.Inode = atou(t, strings.TrimPrefix(x, "ino:"))
		case strings.HasPrefix(x, "sk:"):
			r.Cookie, err = strconv.ParseUint(strings.TrimPrefix(x, "sk:"), 16, 64)
			if err != nil {
				t.Fatalf("ss line %q: %v", line, err)
			}
		}
	}
	return r
}

func atou(t testing.TB, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		t.Fatalf("ss number %q: %v", s, err)
	}
	return uint32(n)
}

// addr parses ss's "127.0.0.1:9527", "[::1]:9527" and the "*" of an
// unconnected peer.
func addr(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	s = strings.TrimSuffix(s, ":*") + map[bool]string{true: ":0", false: ""}[strings.HasSuffix(s, ":*")]
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatalf("ss address %q: %v", s, err)
	}
	return ap
}

// asSS projects List's rows on what ss shows.
func asSS(socks []sockdiag.Socket) []ssRow {
	rows := make([]ssRow, len(socks))
	for i, s := range socks {
		rows[i] = ssRow{s.State, s.RecvQ, s.SendQ, s.Local, s.Remote, s.Timer.String(), s.Inode, s.Cookie}
	}
	return rows
}
