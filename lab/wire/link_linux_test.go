package wire_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab/wire"
)

// TestLinkRTT: with rtt=40ms each direction waits 20 ms, so the SYN-ACK
// reaches the wire at least 20 ms after the SYN and connect takes at least
// the whole round trip.
func TestLinkRTT(t *testing.T) {
	l := newLab(t, wire.Config{Link: wire.Link{RTT: 40 * time.Millisecond}})
	t0 := time.Now()
	l.connect(t)
	if d := time.Since(t0); d < 40*time.Millisecond {
		t.Errorf("connect took %v, want ≥ 40ms (one rtt)", d)
	}
	syn := l.waitFor(t, "SYN", is(wire.AtoB, wire.Forwarded, "S", 0))
	synack := l.waitFor(t, "SYN-ACK", is(wire.BtoA, wire.Forwarded, "S.", 0))
	evs := l.snapshot()
	if d := evs[synack].Time.Sub(evs[syn].Time); d < 20*time.Millisecond {
		t.Errorf("SYN-ACK reached the wire %v after the SYN, want ≥ 20ms (rtt/2)", d)
	}
}

// udpFlood sends n datagrams of size bytes from host a to a UDP socket on
// host b and returns the kernel's receive stamp (SO_TIMESTAMPNS) of each
// one that arrived, stopping once nothing arrives for idle. Kernel stamps,
// not the reader's clock: on a loaded machine the reader may run late and
// find everything already queued.
func udpFlood(t *testing.T, l *lab, n, size int, idle time.Duration) []time.Time {
	t.Helper()
	var rx, tx *net.UDPConn
	l.NS(wire.B).Do(func() (err error) {
		rx, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(l.Addr(wire.B), 0)))
		return err
	})
	if rx == nil {
		t.Fatal("listen udp on host b failed")
	}
	defer rx.Close()
	stampRx(t, rx)
	l.NS(wire.A).Do(func() (err error) {
		tx, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(l.Addr(wire.A), 0)))
		return err
	})
	if tx == nil {
		t.Fatal("listen udp on host a failed")
	}
	defer tx.Close()
	buf := make([]byte, size)
	for i := range n {
		if _, err := tx.WriteTo(buf, rx.LocalAddr()); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}
	var got []time.Time
	oob := make([]byte, 128)
	for len(got) < n {
		rx.SetReadDeadline(time.Now().Add(idle))
		_, oobn, _, _, err := rx.ReadMsgUDP(buf, oob)
		if err != nil {
			break
		}
		got = append(got, rxStamp(t, oob[:oobn]))
	}
	return got
}

func stampRx(t *testing.T, c *net.UDPConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err == nil {
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1) })
	}
	if err != nil {
		t.Fatal(err)
	}
}

func rxStamp(t *testing.T, oob []byte) time.Time {
	t.Helper()
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Header.Level != syscall.SOL_SOCKET || m.Header.Type != syscall.SCM_TIMESTAMPNS {
			continue
		}
		// struct timespec: two native-endian longs (64 or 32 bits).
		switch ne := binary.NativeEndian; len(m.Data) {
		case 16:
			return time.Unix(int64(ne.Uint64(m.Data)), int64(ne.Uint64(m.Data[8:])))
		case 8:
			return time.Unix(int64(int32(ne.Uint32(m.Data))), int64(int32(ne.Uint32(m.Data[4:]))))
		}
	}
	t.Fatal("datagram without SCM_TIMESTAMPNS")
	return time.Time{}
}

// lossPattern returns, for each datagram host a sent, whether the wire
// dropped it.
func lossPattern(evs []wire.Event) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Dir == wire.AtoB && e.Seg.Proto == capture.UDP {
			b.WriteByte(map[bool]byte{true: 'x', false: '.'}[e.Action == wire.Dropped])
		}
	}
	return b.String()
}

// TestLinkLossSeed: random loss is reproducible: two wires with the same
// seed lose the same datagrams of the same stream, a different seed loses
// others, and the rate is near the configured one.
func TestLinkLossSeed(t *testing.T) {
	run := func(seed uint64) string {
		l := newLab(t, wire.Config{Link: wire.Link{Loss: 0.3, Seed: seed}})
		udpFlood(t, l, 200, 100, 200*time.Millisecond) // 200 < the TUN queue's 500: none lost before the wire
		return lossPattern(l.snapshot())
	}
	first, again, other := run(7), run(7), run(8)
	if len(first) != 200 {
		t.Fatalf("wire saw %d datagrams, want 200", len(first))
	}
	if first != again {
		t.Errorf("seed 7 lost different datagrams twice:\n%s\n%s", first, again)
	}
	if first == other {
		t.Errorf("seeds 7 and 8 lost the same datagrams: %s", first)
	}
	if n := strings.Count(first, "x"); n < 30 || n > 90 {
		t.Errorf("lost %d of 200 at loss=30%%, want 30..90 (binomial, 5 sigma)", n)
	}
}

// TestLinkRate: at 1 mbit/s a 1250-byte datagram (1278 bytes with its
// UDP and IP headers) takes 10.2 ms to send, so the last of 10 datagrams
// cannot arrive before 10 × 10.2 ms after the first reached the wire.
// (The span between first and last arrival would be a weaker bound that a
// late lane goroutine can shorten on a loaded machine.)
func TestLinkRate(t *testing.T) {
	l := newLab(t, wire.Config{Link: wire.Link{Rate: 1_000_000}})
	got := udpFlood(t, l, 10, 1250, time.Second)
	if len(got) != 10 {
		t.Fatalf("received %d of 10 datagrams", len(got))
	}
	first := l.snapshot()[l.waitFor(t, "first datagram", func(e wire.Event) bool { return e.Seg.Proto == capture.UDP })]
	if d := got[9].Sub(first.Time); d < 100*time.Millisecond {
		t.Errorf("the 10th datagram arrived %v after the first reached the wire, want ≥ 102ms at 1mbit", d)
	}
}

// TestCancelRemovesEverything: cancelling the context closes the wire:
// its TUN descriptors are closed, so both devices are gone, and Close
// after that reports the same (nil) result. The goroutines are checked by
// TestMain's leak check.
func TestCancelRemovesEverything(t *testing.T) {
	testenv.RequireRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := wire.New(ctx, &wire.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n := tunFDs(); n != 2 {
		t.Fatalf("%d TUN descriptors open, want 2", n)
	}
	cancel()
	if err := w.Close(); err != nil { // waits for the close cancel started
		t.Fatal(err)
	}
	if n := tunFDs(); n != 0 {
		t.Errorf("%d TUN descriptors open after cancel, want 0", n)
	}
}

func tunFDs() int {
	n := 0
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); target == "/dev/net/tun" {
			n++
		}
	}
	return n
}

func mustParse(t *testing.T, s string) wire.Step {
	t.Helper()
	st, err := wire.ParseStep(s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestApplyErrors: steps naming unknown actors, or two actors on the same
// host, are refused with a line that says why.
func TestApplyErrors(t *testing.T) {
	l := newLab(t, wire.Config{})
	for step, want := range map[string]string{
		"drop client>nobody F.":                 `unknown actor "nobody"`,
		"inject client>server R":                "no TCP connection",
		"drop client>server F. after b>ghost .": `unknown actor "ghost"`,
	} {
		if err := l.Apply(mustParse(t, step)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Apply(%q) = %v, want an error containing %q", step, err, want)
		}
	}
}
