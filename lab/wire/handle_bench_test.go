package wire

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"
	"time"
)

// BenchmarkWireHandle measures the wire's own work per packet — decode,
// sequence tracking, rules, recording, and the write (to /dev/null here)
// — without the TUN reads and the receiving kernel's stack, so the figure
// does not depend on what else the machine runs. 1e9/ns-per-op is the
// packet rate one core could forward if the kernel cost nothing.
func BenchmarkWireHandle(b *testing.B) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	n := 0
	w := &Wire{conns: conns{}, cfg: Config{OnEvent: func(Event) { n++ }}}
	w.addr[0], w.addr[1] = Addrs(false)
	for _, d := range []Dir{AtoB, BtoA} {
		w.rng[d.index()] = rand.New(rand.NewPCG(0, uint64(d)))
		w.lanes[d.index()] = newLane(null, func(*Event) {})
	}
	st, _ := ParseStep("drop client>server F.")
	w.eng.arm(&rule{st: st, dir: BtoA, left: 1}) // one armed rule that never matches
	sg := segment{
		src: netip.MustParseAddrPort("198.18.0.1:40000"), dst: netip.MustParseAddrPort("198.18.0.2:80"),
		flags: flagChars['.'] | flagChars['P'], seq: 1, ack: 1, win: 500, hasTS: true, payload: 64,
	}
	pkt := sg.packet()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.handle(AtoB, pkt, time.Now())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}
