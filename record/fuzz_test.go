package record_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/record"
	rt "github.com/tcpteardown/teardown/record/recordtest"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

// FuzzReadFile: any bytes, as a pcap or pcapng file, are read without a
// panic, and the segments fed to a Builder.
func FuzzReadFile(f *testing.F) {
	// The small captures only: with the 7–16 KiB ones the fuzzer made no
	// progress on this machine.
	seeds, _ := filepath.Glob("../explain/testdata/exp*.pcap*")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	segs := rt.New(cli, srv).Handshake().Data(0, "x").Fin(0).Rst(1).Segs
	f.Add(rt.Pcap(segs, false))
	f.Add(rt.Pcap(segs, true))
	f.Fuzz(func(t *testing.T, file []byte) {
		n := 0
		b := &record.Builder{Keep: func(int) bool { return true }, Done: func(c *record.Conn) {
			if c.Packets == 0 || len(c.Timeline) != c.Packets {
				t.Fatalf("connection %d: %d packets, %d kept", c.ID, c.Packets, len(c.Timeline))
			}
			n += c.Packets
		}}
		st, _ := record.ReadFile(bytes.NewReader(file), func(s *capture.Segment) { b.Add(s) })
		b.Flush()
		if n != st.TCP {
			t.Fatalf("connections hold %d packets, the file had %d TCP segments", n, st.TCP)
		}
	})
}

// FuzzBuilder: any sequence of segments (each 12 bytes of input: side,
// flags, seq, ack, length, window, time step) between two pairs of
// addresses, with a state transition of the sender's socket after each
// (its states from the flags byte, which makes broken chains), keeps the
// Builder's invariants; an odd-length input turns RestartAtSYN on.
func FuzzBuilder(f *testing.F) {
	f.Add([]byte("\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x10"))
	f.Add(bytes.Repeat([]byte("\x01\x11\xff\xff\xff\xf0\x00\x00\x00\x05\x03\x00"), 5))
	addrs := []netip.AddrPort{netip.MustParseAddrPort(cli), netip.MustParseAddrPort(srv), netip.MustParseAddrPort("10.0.0.3:443")}
	f.Fuzz(func(t *testing.T, in []byte) {
		now := rt.Epoch
		total, seen := 0, 0
		b := &record.Builder{Linger: time.Second, RestartAtSYN: len(in)%2 == 1, Done: func(c *record.Conn) {
			seen += c.Packets
			for _, sd := range c.Sides {
				if sd.Acked < 0 || sd.Acked > sd.Bytes || sd.Unacked() < 0 {
					t.Fatalf("acked %d of %d bytes", sd.Acked, sd.Bytes)
				}
			}
		}}
		for len(in) >= 12 {
			r := in[:12]
			in = in[12:]
			src, dst := addrs[r[0]%3], addrs[(r[0]/3+1+r[0]%3)%3]
			if src == dst {
				continue
			}
			now = now.Add(time.Duration(r[11]) * 10 * time.Millisecond)
			s := capture.Segment{Time: now, Proto: capture.TCP, Src: src, Dst: dst, Flags: capture.Flags(r[1]),
				Seq: binary.BigEndian.Uint32(r[2:]), Ack: binary.BigEndian.Uint32(r[6:]), Len: int(r[10]) * 100, Win: uint16(r[10])}
			b.Add(&s)
			total++
			tr := trace.Transition{Time: now, Kind: trace.StateChange, Local: src, Remote: dst,
				From: tcpstate.State(r[1] % 13), To: tcpstate.State(r[11] % 13)}
			if c, st, ok := b.Transition(tr); ok {
				sd := &c.Sides[st.Side]
				if sd.Addr != src || sd.State != tr.To || (st.Gap && st.Prev == tr.From) {
					t.Fatalf("transition %v joined side %v in %s (gap %v after %s)", tr, sd.Addr, sd.State, st.Gap, st.Prev)
				}
			}
		}
		b.Flush()
		if seen != total || b.Open() != 0 {
			t.Fatalf("handed over %d of %d packets, %d connections still open", seen, total, b.Open())
		}
	})
}
