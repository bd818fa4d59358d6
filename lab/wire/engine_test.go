package wire

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/capture"
)

// The engine is the wire's pure core: these tests feed it synthetic
// segments; wire_linux_test.go checks the same steps against real kernels.

func seg(flags capture.Flags, n int) *capture.Segment {
	return &capture.Segment{Proto: capture.TCP, Flags: flags, Len: n}
}

func armed(t *testing.T, e *engine, text string, d, after Dir) {
	t.Helper()
	st, err := ParseStep(text)
	if err != nil {
		t.Fatal(err)
	}
	e.arm(&rule{st: st, dir: d, after: after, left: st.Count})
}

func TestEngineDecide(t *testing.T) {
	data, ack, fin := seg(capture.PSH|capture.ACK, 10), seg(capture.ACK, 0), seg(capture.FIN|capture.ACK, 0)
	type pkt struct {
		d Dir
		s *capture.Segment
	}
	for _, tc := range []struct {
		name  string
		steps []string
		pkts  []pkt
		want  string
	}{
		{"count", []string{"drop client>server P. count=2"},
			[]pkt{{AtoB, data}, {BtoA, data}, {AtoB, data}, {AtoB, data}}, "dropped forwarded dropped forwarded"},
		{"after skips the trigger", []string{"drop client>server . after client>server P."},
			[]pkt{{AtoB, ack}, {AtoB, data}, {AtoB, ack}, {AtoB, ack}}, "forwarded forwarded dropped forwarded"},
		{"trigger that also matches is not dropped", []string{"drop client>server P. after client>server P."},
			[]pkt{{AtoB, data}, {AtoB, data}}, "forwarded dropped"},
		{"first armed rule wins", []string{"hold client>server F.", "drop client>server F."},
			[]pkt{{AtoB, fin}, {AtoB, fin}}, "held held"},
		{"any further flags", []string{"dup client>server F* count=3"},
			[]pkt{{AtoB, fin}, {AtoB, data}, {AtoB, seg(capture.FIN|capture.PSH|capture.ACK, 1)}}, "duplicated forwarded duplicated"},
		{"len", []string{"delay client>server P. len 10 1s"},
			[]pkt{{AtoB, seg(capture.PSH|capture.ACK, 9)}, {AtoB, data}}, "forwarded delayed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e engine
			for _, s := range tc.steps {
				armed(t, &e, s, AtoB, AtoB)
			}
			var got []string
			for _, p := range tc.pkts {
				got = append(got, e.decide(p.d, p.s).act.String())
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %v, want %s", got, tc.want)
			}
		})
	}
}

func TestEngineCutAndRelease(t *testing.T) {
	var e engine
	armed(t, &e, "hold client>server P.", AtoB, AtoB)
	armed(t, &e, "drop client>server F.", AtoB, AtoB)
	e.cut[AtoB.index()] = true
	if v := e.decide(AtoB, seg(capture.PSH|capture.ACK, 1)); v.act != Dropped || v.rule.st.Text != "cut a>b" {
		t.Errorf("cut: %s by %q, want dropped by the cut", v.act, v.rule.st.Text)
	}
	if v := e.decide(BtoA, seg(capture.ACK, 0)); v.act != Forwarded {
		t.Errorf("cut a>b touched b>a: %s", v.act)
	}
	e.held = []held{{dir: AtoB}}
	if got := e.release(); len(got) != 1 || e.pending() != 1 {
		t.Errorf("release returned %d packets and left %d rules, want 1 and 1 (the drop)", len(got), e.pending())
	}
}

// TestConnsSequence: SND.NXT counts SYN and FIN as one each and survives
// the sequence space wrapping; a new SYN starts a new incarnation.
func TestConnsSequence(t *testing.T) {
	a, b := netip.MustParseAddrPort("198.18.0.1:40000"), netip.MustParseAddrPort("198.18.0.2:80")
	cs := conns{}
	for _, s := range []capture.Segment{
		{Src: a, Dst: b, Flags: capture.SYN, Seq: 0xffff_fff0},
		{Src: b, Dst: a, Flags: capture.SYN | capture.ACK, Seq: 100, Ack: 0xffff_fff1},
		{Src: a, Dst: b, Flags: capture.PSH | capture.ACK, Seq: 0xffff_fff1, Ack: 101, Len: 20},
		{Src: a, Dst: b, Flags: capture.PSH | capture.ACK, Seq: 0xffff_fff1, Ack: 101, Len: 10}, // a retransmission of less
		{Src: a, Dst: b, Flags: capture.FIN | capture.ACK, Seq: 5, Ack: 101},
	} {
		s.Proto = capture.TCP
		cs.observe(&s, s.Time)
	}
	src, dst, snd, rcv, ok := cs.between(b.Addr(), a.Addr())
	if !ok || src != b || dst != a {
		t.Fatalf("between(b, a) = %v>%v, %v", src, dst, ok)
	}
	if snd.nxt != 101 || rcv.nxt != 6 {
		t.Errorf("b's SND.NXT %d, a's SND.NXT %d; want 101 and 6 (wrapped, FIN counted)", snd.nxt, rcv.nxt)
	}
	sg := craftFrom(src, dst, snd, rcv)
	if sg.seq != 101 || sg.ack != 6 {
		t.Errorf("crafted seq %d ack %d, want 101 and 6", sg.seq, sg.ack)
	}
}

// TestChecksum: a crafted packet's checksums verify (the sum over the
// packet including its checksum field is 0xffff, RFC 1071).
func TestChecksum(t *testing.T) {
	for _, src := range []string{"198.18.0.1:1", "[2001:db8::1]:1"} {
		s := netip.MustParseAddrPort(src)
		d := netip.AddrPortFrom(s.Addr().Next(), 2)
		sg := segment{src: s, dst: d, flags: capture.RST | capture.ACK, seq: 1, ack: 2, payload: 3, hasTS: true}
		pkt := sg.packet()
		hdr := 40
		if s.Addr().Is4() {
			hdr = 20
			if checksum(nil, pkt[:20]) != 0 {
				t.Errorf("%s: IPv4 header checksum does not verify", src)
			}
		}
		if c := checksum(pseudoHeader(s.Addr(), d.Addr(), len(pkt)-hdr), pkt[hdr:]); c != 0 {
			t.Errorf("%s: TCP checksum does not verify (%#x)", src, c)
		}
		got, err := capture.Decode(append(make([]byte, 12), append([]byte{0x08, 0}, pkt...)...))
		if s.Addr().Is6() {
			got, err = capture.Decode(append(make([]byte, 12), append([]byte{0x86, 0xdd}, pkt...)...))
		}
		if err != nil || got.Flags.String() != "R." || got.Len != 3 || got.Seq != 1 || got.Ack != 2 {
			t.Errorf("%s: decoded %+v, %v", src, got, err)
		}
	}
}
