package wire_test

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab/wire"
)

// TestWritePcap: the pcap holds every packet once — a delayed one at the
// time it reached the wire, not again when delivered — with the wire's
// stamps, and decodes to the same segments.
func TestWritePcap(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "delay client>server P. 10ms")
	write(t, c, "abc")
	readN(t, s, 3)
	l.waitFor(t, "delivered", is(wire.AtoB, wire.Delivered, "P.", 3))
	evs := l.snapshot()
	var buf bytes.Buffer
	if err := wire.WritePcap(&buf, evs); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var want []wire.Event
	for _, e := range evs {
		if e.Action != wire.Delivered {
			want = append(want, e)
		}
	}
	for i := 0; ; i++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			if i != len(want) {
				t.Errorf("pcap has %d packets, want %d (%v)", i, len(want), err)
			}
			return
		}
		if i >= len(want) {
			t.Fatalf("pcap has more than %d packets", len(want))
		}
		got, err := capture.Decode(data)
		if err != nil || got.Seq != want[i].Seg.Seq || got.Flags != want[i].Seg.Flags || !ci.Timestamp.Equal(want[i].Time) {
			t.Errorf("packet %d: [%s] seq %d at %v, %v; want [%s] seq %d at %v", i, got.Flags, got.Seq, ci.Timestamp, err,
				want[i].Seg.Flags, want[i].Seg.Seq, want[i].Time)
		}
	}
}
