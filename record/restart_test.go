package record_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/record"
	rt "github.com/tcpteardown/teardown/record/recordtest"
)

// tcpdumpRel is how tcpdump (and the lab before it used record) makes
// numbers relative: each direction from its first segment, restarting at
// every SYN or SYN-ACK it sends; the ACK against the other direction's
// current base, 0 before it has one.
func tcpdumpRel(base map[[2]netip.AddrPort]uint32, s *capture.Segment) (uint32, uint32) {
	fwd, rev := [2]netip.AddrPort{s.Src, s.Dst}, [2]netip.AddrPort{s.Dst, s.Src}
	b, ok := base[fwd]
	if !ok || s.Flags.Has(capture.SYN) {
		b = s.Seq
		base[fwd] = b
	}
	var ack uint32
	if r, ok := base[rev]; ok && s.Flags.Has(capture.ACK) {
		ack = s.Ack - r
	}
	return s.Seq - b, ack
}

// relNumbers feeds segs to a RestartAtSYN Builder and returns each
// segment's relative seq and ack as its connection recorded them.
func relNumbers(t *testing.T, segs []capture.Segment) [][2]uint32 {
	t.Helper()
	b := &record.Builder{Keep: func(int) bool { return true }, Linger: 1 << 62, RestartAtSYN: true}
	var out [][2]uint32
	for i := range segs {
		b.Add(&segs[i])
		c := b.Lookup(segs[i].Src, segs[i].Dst)
		if c == nil || len(c.Timeline) == 0 {
			t.Fatalf("segment %d: no connection keeps it", i)
		}
		p := c.Timeline[len(c.Timeline)-1]
		out = append(out, [2]uint32{p.Seq, p.Ack})
	}
	return out
}

// TestRestartAtSYNOldDuplicate: the old-duplicate scenario's shape. A
// client reuses its four-tuple while the server's socket still holds the
// old connection (not finished on the wire); the server answers the new
// SYN with a challenge ACK from the old sequence space, then the client's
// RST clears it and the retried SYN gets its SYN-ACK.
func TestRestartAtSYNOldDuplicate(t *testing.T) {
	c := rt.New(cli, srv).Handshake().Data(0, "old").Ack(1).Fin(0).Ack(1)
	c.Seg(0, capture.SYN, 7000, 0, "", 64240)                  // new ISN: a new connection
	c.Seg(1, capture.ACK, 500001, 1005, "", 501)               // challenge ACK, old space
	c.Seg(0, capture.RST, 1005, 0, "", 0)                      // the client's answer
	c.Seg(0, capture.SYN, 7000, 0, "", 64240)                  // retried SYN
	c.Seg(1, capture.SYN|capture.ACK, 900000, 7001, "", 65483) // a fresh SYN-ACK
	c.Seg(0, capture.ACK, 7001, 900001, "", 502)
	got := relNumbers(t, c.Segs)
	n := len(got)
	// The challenge ACK is seq 1 of the server's old numbers; its ack (old
	// 1005) and the RST's seq are below the new ISN 7000, so they print
	// wrapped, as tcpdump prints them.
	const below = 1005 - 7000 + 1<<32
	want := [][2]uint32{{0, 0}, {1, below}, {below, 0}, {0, 0}, {0, 1}, {1, 1}}
	if d := cmp.Diff(want, got[n-6:]); d != "" {
		t.Errorf("relative numbers from the reused SYN on (-want +got):\n%s", d)
	}
	if first := got[0]; first != [2]uint32{0, 0} {
		t.Errorf("first SYN numbered %v, want [0 0]", first)
	}
}

// TestRestartAtSYNMatchesTcpdump: on random conversations over two
// four-tuples (reused ISNs, SYNs and SYN-ACKs at any moment, challenge
// ACKs, resets), every segment is numbered as tcpdump numbers it.
func TestRestartAtSYNMatchesTcpdump(t *testing.T) {
	addrs := [][2]netip.AddrPort{
		{netip.MustParseAddrPort(cli), netip.MustParseAddrPort(srv)},
		{netip.MustParseAddrPort("10.0.0.1:40001"), netip.MustParseAddrPort(srv)},
	}
	flags := []capture.Flags{capture.SYN, capture.SYN | capture.ACK, capture.ACK, capture.PSH | capture.ACK,
		capture.FIN | capture.ACK, capture.RST, capture.RST | capture.ACK}
	r := rand.New(rand.NewPCG(1, 2))
	for run := range 2000 {
		var segs []capture.Segment
		at := rt.Epoch
		for range 1 + r.IntN(30) {
			pair, dir := addrs[r.IntN(len(addrs))], r.IntN(2)
			f := flags[r.IntN(len(flags))]
			s := capture.Segment{Time: at, Proto: capture.TCP, Src: pair[dir], Dst: pair[1-dir], Flags: f,
				Seq: uint32(r.IntN(4))*1_000_000_000 + uint32(r.IntN(3)), Ack: r.Uint32()}
			if f == capture.PSH|capture.ACK {
				s.Len = 1 + r.IntN(3)
			}
			segs = append(segs, s)
			at = at.Add(time.Duration(r.IntN(3)) * time.Millisecond)
		}
		got := relNumbers(t, segs)
		base := map[[2]netip.AddrPort]uint32{}
		for i := range segs {
			seq, ack := tcpdumpRel(base, &segs[i])
			if got[i] != [2]uint32{seq, ack} {
				t.Fatalf("run %d, segment %d (%s %v→%v seq %d ack %d): record numbers %v, tcpdump [%d %d]\n%v",
					run, i, segs[i].Flags, segs[i].Src, segs[i].Dst, segs[i].Seq, segs[i].Ack, got[i], seq, ack, segs[:i+1])
			}
		}
	}
}
