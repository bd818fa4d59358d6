package wire_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab/wire"
)

// TestForward: a whole connection crosses the wire untouched, every
// packet is recorded as forwarded, no packet exceeds the MTU (no
// offload super-packets) and every checksum is the sender's own.
func TestForward(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "ipv4", true: "ipv6"}[v6], func(t *testing.T) {
			l := newLab(t, wire.Config{IPv6: v6})
			c, s := l.connect(t)
			big := strings.Repeat("x", 100_000)
			write(t, c, big)
			c.Close()
			got, err := readEOF(t, s)
			if err != nil || got != big {
				t.Fatalf("server read %d bytes, %v; want %d bytes and EOF", len(got), err, len(big))
			}
			s.Close()
			l.waitFor(t, "server>client F.", is(wire.BtoA, wire.Forwarded, "F.", 0))
			for _, e := range l.snapshot() {
				checkPacket(t, e, v6)
			}
		})
	}
}

func checkPacket(t *testing.T, e wire.Event, v6 bool) {
	t.Helper()
	if e.Action != wire.Forwarded {
		t.Errorf("%s: action %s, want forwarded", e.Seg.Flags, e.Action)
	}
	ip := e.Seg.Raw[14:]
	if len(ip) > 1500 {
		t.Errorf("packet of %d bytes exceeds MTU 1500", len(ip))
	}
	if e.Seg.Proto != capture.TCP {
		return // an IPv6 wire also carries the hosts' MLD reports
	}
	if e.Seg.IPv6() != v6 {
		t.Errorf("segment %s is IPv6=%v, want %v", e.Seg.Src, e.Seg.IPv6(), v6)
	}
	if !tcpChecksumOK(ip) {
		t.Errorf("bad TCP checksum on %s>%s [%s]", e.Seg.Src, e.Seg.Dst, e.Seg.Flags)
	}
}

// tcpChecksumOK verifies the TCP checksum over the pseudo-header: the sum
// including the checksum field folds to 0xffff (RFC 1071).
func tcpChecksumOK(ip []byte) bool {
	var pseudo, tcp []byte
	if ip[0]>>4 == 4 {
		ihl := int(ip[0]&0xf) * 4
		tcp = ip[ihl:binary.BigEndian.Uint16(ip[2:])]
		pseudo = append(append([]byte{}, ip[12:20]...), 0, 6, byte(len(tcp)>>8), byte(len(tcp)))
	} else {
		tcp = ip[40 : 40+int(binary.BigEndian.Uint16(ip[4:]))]
		pseudo = append(append([]byte{}, ip[8:40]...), 0, 0, byte(len(tcp)>>8), byte(len(tcp)), 0, 0, 0, 6)
	}
	var sum uint32
	for _, p := range [][]byte{pseudo, tcp} {
		for ; len(p) >= 2; p = p[2:] {
			sum += uint32(p[0])<<8 | uint32(p[1])
		}
		if len(p) == 1 {
			sum += uint32(p[0]) << 8
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

// TestDropFIN: the client's FIN is dropped once; the kernel retransmits it
// after its retransmission timeout and the connection still closes. The
// wire saw the FIN twice: once dropped, once forwarded.
func TestDropFIN(t *testing.T) {
	l := newLab(t, wire.Config{})
	apply(t, l, "drop client>server F.")
	c, s := l.connect(t)
	write(t, c, "bye")
	c.Close()
	if got, err := readEOF(t, s); got != "bye" || err != nil {
		t.Fatalf("server read %q, %v; want \"bye\" and EOF", got, err)
	}
	l.waitFor(t, "forwarded retransmitted FIN", is(wire.AtoB, wire.Forwarded, "F.", 0))
	var fins []string
	for _, e := range l.snapshot() {
		if e.Dir == wire.AtoB && e.Seg.Flags.Has(capture.FIN) {
			fins = append(fins, e.Action.String())
		}
	}
	if strings.Join(fins, ",") != "dropped,forwarded" {
		t.Errorf("client's FINs on the wire: %v, want [dropped forwarded]", fins)
	}
}

// TestDropAfter: `after` arms the drop only once its trigger was seen: the
// first data segment passes, the one after the server's ACK of it is
// dropped (and retransmitted).
func TestDropAfter(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "drop client>server P. after client>server P. len 3")
	write(t, c, "one")
	if got := readN(t, s, 3); got != "one" {
		t.Fatalf("read %q", got)
	}
	write(t, c, "twotwo")
	if got := readN(t, s, 6); got != "twotwo" {
		t.Fatalf("read %q", got)
	}
	var got []string
	for _, e := range l.snapshot() {
		if e.Dir == wire.AtoB && e.Seg.Len > 0 {
			got = append(got, e.Action.String()+":"+string(e.Seg.Payload))
		}
	}
	if want := "forwarded:one,dropped:twotwo,forwarded:twotwo"; strings.Join(got, ",") != want {
		t.Errorf("client's data on the wire: %v, want %s", got, want)
	}
}

// TestDelayReorders: the first data segment is held 150 ms while the
// second passes, so the server's kernel receives them out of order and
// still hands the reader the bytes in order.
func TestDelayReorders(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "delay client>server P. 150ms")
	write(t, c, "one")
	early := l.waitFor(t, "delayed one", is(wire.AtoB, wire.Delayed, "P.", 3))
	write(t, c, "two")
	if got := readN(t, s, 6); got != "onetwo" {
		t.Fatalf("server read %q, want \"onetwo\"", got)
	}
	late := l.waitFor(t, "delivered one", is(wire.AtoB, wire.Delivered, "P.", 3))
	second := l.waitFor(t, "forwarded two", func(e wire.Event) bool {
		return is(wire.AtoB, wire.Forwarded, "P.", 3)(e) && string(e.Seg.Payload) == "two"
	})
	evs := l.snapshot()
	if late < second {
		t.Errorf("delayed segment delivered (event %d) before the later one passed (event %d):\n%s", late, second, dump(evs))
	}
	if d := evs[late].Time.Sub(evs[early].Time); d < 150*time.Millisecond {
		t.Errorf("delayed segment delivered %v after it reached the wire, want ≥ 150ms", d)
	}
}

// TestDup: a duplicated segment reaches the server twice. The kernel
// proves it: the second copy is below RCV.NXT, so it answers at once with
// a D-SACK block (RFC 2883) naming exactly that segment.
func TestDup(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "dup client>server P.")
	write(t, c, "hello")
	if got := readN(t, s, 5); got != "hello" {
		t.Fatalf("server read %q", got)
	}
	d := l.waitFor(t, "duplicated", is(wire.AtoB, wire.Duplicated, "P.", 5))
	dup := l.snapshot()[d].Seg
	want := [2]uint32{dup.Seq, dup.Seq + 5}
	l.waitFor(t, "a D-SACK of the duplicate", func(e wire.Event) bool {
		b := sackBlocks(e.Seg.OptionBytes)
		return e.Dir == wire.BtoA && len(b) > 0 && b[0] == want && e.Seg.Ack == dup.Seq+5
	})
}

// sackBlocks returns the SACK option's blocks (kind 5, RFC 2018).
func sackBlocks(opt []byte) [][2]uint32 {
	for len(opt) > 0 {
		if opt[0] == 0 {
			return nil
		}
		if opt[0] == 1 {
			opt = opt[1:]
			continue
		}
		if len(opt) < 2 || int(opt[1]) < 2 || int(opt[1]) > len(opt) {
			return nil
		}
		if opt[0] == 5 {
			var out [][2]uint32
			for b := opt[2:opt[1]]; len(b) >= 8; b = b[8:] {
				out = append(out, [2]uint32{binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])})
			}
			return out
		}
		opt = opt[opt[1]:]
	}
	return nil
}

// TestHoldRelease: held segments are kept, even their retransmissions,
// until release delivers them in order.
func TestHoldRelease(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "hold client>server P.")
	write(t, c, "a")
	l.waitFor(t, "held a", is(wire.AtoB, wire.Held, "P.", 1))
	write(t, c, "b")
	l.waitFor(t, "held b", func(e wire.Event) bool {
		return is(wire.AtoB, wire.Held, "P.", 1)(e) && string(e.Seg.Payload) == "b"
	})
	for _, e := range l.snapshot() {
		if e.Dir == wire.BtoA && e.Seg.Ack > 0 && e.Seg.Flags.String() == "." {
			// The server acknowledged nothing beyond the handshake while holding.
			t.Fatalf("server ACKed while its data was held:\n%s", dump(l.snapshot()))
		}
	}
	apply(t, l, "release")
	if got := readN(t, s, 2); got != "ab" {
		t.Fatalf("server read %q, want \"ab\"", got)
	}
	var order []string
	for _, e := range l.snapshot() {
		if e.Action == wire.Delivered {
			order = append(order, string(e.Seg.Payload))
		}
	}
	if len(order) < 2 || order[0] != "a" || order[1] != "b" {
		t.Errorf("released in order %v, want a then b", order)
	}
}

// TestCutHeal: while the cable is cut nothing arrives and the sender
// retransmits into the void; after heal its next retransmission gets
// through.
func TestCutHeal(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "cut")
	write(t, c, "ping")
	l.waitFor(t, "dropped ping", is(wire.AtoB, wire.Dropped, "P.", 4))
	l.waitFor(t, "dropped retransmission", func(e wire.Event) bool {
		n := 0
		for _, x := range l.snapshot() {
			if is(wire.AtoB, wire.Dropped, "P.", 4)(x) {
				n++
			}
		}
		return n >= 2
	})
	apply(t, l, "heal")
	if got := readN(t, s, 4); got != "ping" {
		t.Fatalf("server read %q", got)
	}
	for _, e := range l.snapshot() {
		if e.Action == wire.Dropped && e.Rule != "cut a>b" {
			t.Errorf("dropped by %q, want the cut", e.Rule)
		}
	}
}

// TestCutOneWay: cut a>b drops only the client's packets; the server's
// still arrive.
func TestCutOneWay(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "cut client>server")
	write(t, s, "from-b")
	if got := readN(t, c, 6); got != "from-b" {
		t.Fatalf("client read %q", got)
	}
	l.waitFor(t, "client's ACK dropped", is(wire.AtoB, wire.Dropped, ".", 0))
	apply(t, l, "heal")
}

// TestInjectRST: a RST crafted at the client's SND.NXT is exact, so the
// server's kernel accepts it (RFC 5961 §3.2) and its reader gets
// ECONNRESET — over IPv4 and IPv6, so both checksums are right.
func TestInjectRST(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "ipv4", true: "ipv6"}[v6], func(t *testing.T) {
			l := newLab(t, wire.Config{IPv6: v6})
			c, s := l.connect(t)
			write(t, c, "hi")
			readN(t, s, 2)
			apply(t, l, "inject client>server R")
			_, err := readEOF(t, s)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("server read after injected RST: %v, want ECONNRESET", err)
			}
			l.waitFor(t, "injected R", is(wire.AtoB, wire.Injected, "R", 0))
		})
	}
}

// TestInjectOutOfWindow asserts what Linux does with crafted segments
// whose sequence numbers do not fit the receive window.
func TestInjectOutOfWindow(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		answer     bool // the server answers with a pure ACK at RCV.NXT
	}{
		// RFC 9293 §3.10.7.4: an unacceptable segment is answered with an
		// ACK and dropped. Linux rate-limits such ACKs only for segments
		// without data (tcp_oow_rate_limited), so with data it always answers.
		{"data beyond the window is answered with an ACK", "inject client>server P. seq=+100000 len=10", true},
		// RFC 5961 §3.2: a RST in the window but not at RCV.NXT draws a
		// challenge ACK and resets nothing.
		{"RST inside the window draws a challenge ACK", "inject client>server R seq=+1", true},
		// RFC 5961 §3.2: a RST outside the window is dropped silently.
		{"RST beyond the window is ignored", "inject client>server R seq=+100000", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, wire.Config{})
			c, s := l.connect(t)
			write(t, c, "hi")
			readN(t, s, 2)
			l.waitFor(t, "server's ACK of hi", is(wire.BtoA, wire.Forwarded, ".", 0))
			apply(t, l, tc.step)
			inj := l.waitFor(t, "injected", func(e wire.Event) bool { return e.Action == wire.Injected })
			rcvNxt := l.snapshot()[inj].Seg.Seq
			if strings.Contains(tc.step, "seq=+") {
				rcvNxt -= map[bool]uint32{true: 100000, false: 1}[strings.Contains(tc.step, "100000")]
			}
			if tc.answer {
				l.waitAfter(t, inj, "the server's ACK at RCV.NXT", func(e wire.Event) bool {
					return is(wire.BtoA, wire.Forwarded, ".", 0)(e) && e.Seg.Ack == rcvNxt
				})
			}
			// The connection survived: data still flows both ways.
			write(t, c, "ok")
			if got := readN(t, s, 2); got != "ok" {
				t.Fatalf("server read %q after %s", got, tc.step)
			}
			if !tc.answer {
				checkSilent(t, l, inj)
			}
		})
	}
}

// checkSilent fails if the server sent anything between the injected
// segment (event inj) and the client's next data.
func checkSilent(t *testing.T, l *lab, inj int) {
	t.Helper()
	for _, e := range l.snapshot()[inj+1:] {
		if e.Dir == wire.AtoB && e.Seg.Len > 0 {
			return
		}
		if e.Dir == wire.BtoA {
			t.Fatalf("server answered the ignored segment:\n%s", dump(l.snapshot()))
		}
	}
}

// TestLostLastACK: the active closer's last ACK is dropped (`after` the
// passive closer's FIN), so the passive closer retransmits its FIN; the
// closer's TIME-WAIT socket answers it with an ACK, not a RST — the first
// reason TIME-WAIT exists (RFC 9293 §3.6.1).
func TestLostLastACK(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "drop client>server . after server>client F.")
	c.Close()
	if _, err := readEOF(t, s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	lost := l.waitFor(t, "the lost ACK", is(wire.AtoB, wire.Dropped, ".", 0))
	l.waitAfter(t, lost, "the ACK of the retransmitted FIN", is(wire.AtoB, wire.Forwarded, ".", 0))
	fins := 0
	for _, e := range l.snapshot() {
		if e.Seg.Flags.Has(capture.RST) {
			t.Errorf("a RST crossed the wire:\n%s", dump(l.snapshot()))
		}
		if e.Dir == wire.BtoA && e.Seg.Flags.Has(capture.FIN) {
			fins++
		}
	}
	if fins < 2 {
		t.Errorf("server sent its FIN %d times, want a retransmission", fins)
	}
}
