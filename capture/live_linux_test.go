package capture_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// listen opens a plain-TCP listener (MPTCP off: Go may default listeners to
// MPTCP, which would add options to the segments).
func listen(t testing.TB, network, addr string) *net.TCPListener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

func openCapture(t testing.TB, ports ...uint16) *capture.Capture {
	t.Helper()
	c, err := capture.Open(&capture.Config{Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collect reads segments until done says the exchange is over, then for a
// grace period more (to catch duplicates), or fails after 10 s.
func collect(t *testing.T, c *capture.Capture, done func([]capture.Segment) bool) []capture.Segment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var segs []capture.Segment
	for !done(segs) {
		s, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("after %d segments %v: %v", len(segs), flagList(segs), err)
		}
		segs = append(segs, s)
	}
	grace, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	for {
		s, err := c.Next(grace)
		if err != nil {
			return segs
		}
		segs = append(segs, s)
	}
}

func flagList(segs []capture.Segment) []string {
	var out []string
	for _, s := range segs {
		out = append(out, "["+s.Flags.String()+"]")
	}
	return out
}

// endsWith reports whether the last segments carry these flags.
func endsWith(flags ...string) func([]capture.Segment) bool {
	return func(segs []capture.Segment) bool {
		got := flagList(segs)
		return len(got) >= len(flags) && slices.Equal(got[len(got)-len(flags):], flags)
	}
}

// exchange runs the seed's exchange: the client sends "abc", the server
// answers "Hi, abc"; then abort (SO_LINGER 0) or a graceful close where the
// client closes first and the server closes after reading EOF.
func exchange(t *testing.T, l *net.TCPListener, abort bool) (client netip.AddrPort) {
	t.Helper()
	return exchangeWith(t, l, abort, 0)
}

// exchangeWith is exchange with a server that waits closeDelay after the
// client's FIN before closing.
func exchangeWith(t *testing.T, l *net.TCPListener, abort bool, closeDelay time.Duration) (client netip.AddrPort) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- serveOnce(l, closeDelay) }()
	c, err := net.DialTCP("tcp", nil, l.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	client = c.LocalAddr().(*net.TCPAddr).AddrPort()
	buf := make([]byte, 16)
	if _, err := c.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf[:7]); err != nil {
		t.Fatal(err)
	}
	if abort {
		c.SetLinger(0) // close sends RST and discards the send queue (RFC 9293 §3.10.4 ABORT)
	}
	c.Close()
	if err := <-done; err != nil && !abort {
		t.Fatal(err)
	}
	return client
}

func serveOnce(l *net.TCPListener, closeDelay time.Duration) error {
	c, err := l.AcceptTCP()
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if _, err := c.Write(append([]byte("Hi, "), buf[:n]...)); err != nil {
		return err
	}
	_, err = c.Read(buf) // EOF: the client's FIN; then the deferred Close sends ours
	time.Sleep(closeDelay)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func TestLiveGracefulAndAbort(t *testing.T) {
	testenv.RequireRoot(t)
	tests := []struct {
		name, network, addr string
		abort               bool
		closeDelay          time.Duration
	}{
		{"ipv4 graceful", "tcp4", "127.0.0.1:0", false, 0},
		{"ipv6 graceful", "tcp6", "[::1]:0", false, 0},
		// The server closes after the delayed-ACK timer (40 ms): its ACK of
		// the client's FIN goes out alone, [F.] [.] [F.] [.].
		{"ipv4 graceful, slow passive closer", "tcp4", "127.0.0.1:0", false, 100 * time.Millisecond},
		{"ipv4 abort", "tcp4", "127.0.0.1:0", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listen(t, tt.network, tt.addr)
			port := uint16(l.Addr().(*net.TCPAddr).Port)
			c := openCapture(t, port)
			client := exchangeWith(t, l, tt.abort, tt.closeDelay)
			var segs []capture.Segment
			if tt.abort {
				segs = collect(t, c, endsWith("[R.]"))
				checkAbort(t, segs, client)
			} else {
				segs = collect(t, c, closedBy(client))
				checkGraceful(t, segs, client)
				if tt.closeDelay > 0 {
					checkLoneAck(t, segs)
				}
			}
			checkNoDuplicates(t, segs)
			checkZeroMACs(t, segs)
		})
	}
}

// closedBy reports whether the segments hold a whole graceful close begun
// by client: its FIN, the server's FIN, then the client's last ACK.
func closedBy(client netip.AddrPort) func([]capture.Segment) bool {
	return func(segs []capture.Segment) bool { return len(closeSteps(segs, client)) == 3 }
}

// closeSteps returns the close as "[F.] client", "[F.] server", "[.] client"
// (as far as it got), skipping the server's ACK of the client's FIN, which
// the server sends alone only if its application takes longer than the
// delayed-ACK timer (40 ms) to close.
func closeSteps(segs []capture.Segment, client netip.AddrPort) []string {
	var steps []string
	for _, s := range segs {
		who := map[bool]string{true: "client", false: "server"}[s.Src == client]
		step := "[" + s.Flags.String() + "] " + who
		switch {
		case len(steps) == 0 && step == "[F.] client",
			len(steps) == 1 && step == "[F.] server",
			len(steps) == 2 && step == "[.] client":
			steps = append(steps, step)
		}
	}
	return steps
}

func checkGraceful(t *testing.T, segs []capture.Segment, client netip.AddrPort) {
	t.Helper()
	got := flagList(segs)
	if diff := cmp.Diff([]string{"[S]", "[S.]", "[.]", "[P.]"}, got[:min(4, len(got))]); diff != "" {
		t.Errorf("handshake and first data (-want +got):\n%s\nall: %v", diff, got)
	}
	want := []string{"[F.] client", "[F.] server", "[.] client"}
	if diff := cmp.Diff(want, closeSteps(segs, client)); diff != "" {
		t.Errorf("close sequence (-want +got):\n%s\nall: %v", diff, got)
	}
	fins := 0
	for _, s := range segs {
		if s.Flags.Has(capture.FIN) {
			fins++
		}
	}
	last := segs[len(segs)-1]
	if fins != 2 || last.Flags != capture.ACK || last.Src != client {
		t.Errorf("want exactly 2 FINs and the client's ACK last; got %d FINs, last [%s] from %v: %v", fins, last.Flags, last.Src, got)
	}
}

func checkAbort(t *testing.T, segs []capture.Segment, client netip.AddrPort) {
	t.Helper()
	last := segs[len(segs)-1]
	if last.Flags != capture.RST|capture.ACK || last.Src != client {
		t.Errorf("last segment [%s] from %v, want [R.] from the client %v; all: %v", last.Flags, last.Src, client, flagList(segs))
	}
	if slices.ContainsFunc(segs, func(s capture.Segment) bool { return s.Flags.Has(capture.FIN) }) {
		t.Errorf("abort sent a FIN: %v", flagList(segs))
	}
}

// checkLoneAck: a passive closer slower than the delayed-ACK timer
// acknowledges the FIN alone, so the close takes four segments.
func checkLoneAck(t *testing.T, segs []capture.Segment) {
	t.Helper()
	got := flagList(segs)
	want := []string{"[F.]", "[.]", "[F.]", "[.]"}
	if len(got) < 4 || !slices.Equal(got[len(got)-4:], want) {
		t.Errorf("close = %v, want it to end with %v", got, want)
		return
	}
	fin, ack := segs[len(segs)-4], segs[len(segs)-3]
	t.Logf("the FIN was acknowledged %v after it was sent", ack.Time.Sub(fin.Time))
}

// checkNoDuplicates fails if a segment appears twice: on lo the kernel
// shows every frame once leaving and once arriving unless the filter drops
// the outgoing copy.
func checkNoDuplicates(t *testing.T, segs []capture.Segment) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range segs {
		k := string(s.Raw)
		if seen[k] {
			t.Errorf("segment captured twice: %s", new(capture.Formatter).Format(s))
		}
		seen[k] = true
	}
}

// TestLiveICMP checks that a UDP datagram to a closed port is captured with
// the ICMP error it earns, for IPv4 and IPv6.
func TestLiveICMP(t *testing.T) {
	testenv.RequireRoot(t)
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			port := closedUDPPort(t, addr)
			c := openCapture(t, port)
			u, err := net.Dial("udp", net.JoinHostPort(addr, itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			u.Write([]byte("hello"))
			segs := collect(t, c, func(s []capture.Segment) bool { return len(s) >= 2 })
			var got []string
			for _, s := range segs {
				got = append(got, s.Proto.String()+" "+s.QuotedProto.String())
			}
			if diff := cmp.Diff([]string{"udp invalid", "icmp udp"}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if q := segs[len(segs)-1].Quoted.Dst.Port(); q != port {
				t.Errorf("ICMP quotes port %d, want %d", q, port)
			}
		})
	}
}

// closedUDPPort returns a UDP port nothing listens on (bound, then closed).
func closedUDPPort(t *testing.T, addr string) uint16 {
	t.Helper()
	u, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	p := u.LocalAddr().(*net.UDPAddr).Port
	u.Close()
	return uint16(p)
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

// TestLiveNamespace checks that a capture opened inside a fresh network
// namespace sees that namespace's connection and not the host's on the same
// port.
func TestLiveNamespace(t *testing.T) {
	testenv.RequireRoot(t)
	host := listen(t, "tcp4", "127.0.0.1:0")
	port := uint16(host.Addr().(*net.TCPAddr).Port)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var c *capture.Capture
	var inner *net.TCPListener
	err = ns.Do(func() (err error) {
		if c, err = capture.Open(&capture.Config{Ports: []uint16{port}}); err != nil {
			return err
		}
		inner = listen(t, "tcp4", host.Addr().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hostClient := exchange(t, host, false)
	var nsClient netip.AddrPort
	if err := ns.Do(func() error { nsClient = exchange(t, inner, false); return nil }); err != nil {
		t.Fatal(err)
	}
	segs := collect(t, c, closedBy(nsClient))
	for _, s := range segs {
		if s.Src != nsClient && s.Dst != nsClient {
			t.Errorf("segment not of the namespace's connection (%v; host client %v): %s", nsClient, hostClient, new(capture.Formatter).Format(s))
		}
	}
	checkGraceful(t, segs, nsClient)
}

// TestCloseUnblocksNext checks that Close makes a blocked Next, and a
// NextFrame waiting for a block, return io.EOF, and that it unmaps the ring.
func TestCloseUnblocksNext(t *testing.T) {
	testenv.RequireRoot(t)
	reads := map[string]func(*capture.Capture) error{
		"Next":      func(c *capture.Capture) error { _, err := c.Next(context.Background()); return err },
		"NextFrame": func(c *capture.Capture) error { _, err := c.NextFrame(context.Background()); return err },
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			before := socketMappings(t)
			c, err := capture.Open(&capture.Config{Ports: []uint16{1}})
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() { errc <- read(c) }()
			time.Sleep(20 * time.Millisecond)
			c.Close()
			select {
			case err := <-errc:
				if !errors.Is(err, io.EOF) {
					t.Errorf("%s after Close: %v, want io.EOF", name, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s still blocked 5 s after Close", name)
			}
			if err := c.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if after := socketMappings(t); len(after) != len(before) {
				t.Errorf("ring still mapped after Close: %v (before: %v)", after, before)
			}
		})
	}
}

func TestOpenUnknownInterface(t *testing.T) {
	_, err := capture.Open(&capture.Config{Interface: "nosuch0"})
	if err == nil || !strings.Contains(err.Error(), "no such network interface") {
		t.Errorf("Open(nosuch0) = %v, want an error naming the missing interface", err)
	}
}

// checkZeroMACs: lo frames are Ethernet frames with both MACs zero.
func checkZeroMACs(t *testing.T, segs []capture.Segment) {
	t.Helper()
	for _, s := range segs {
		if mac := s.Raw[:12]; string(mac) != string(make([]byte, 12)) {
			t.Errorf("MAC addresses %x, want zeros on lo", mac)
		}
	}
}
