package runner

import (
	"math"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/record"
)

// newTCPRecord returns the Builder that numbers a run's TCP segments. A
// run is short and its diagram needs every packet, so every connection is
// kept and none is handed over before the end. RestartAtSYN: the lab's
// scenarios reuse four-tuples while the old socket still lives (the
// old-duplicate scenario), and each SYN with a new ISN restarts its
// direction's relative numbers, as tcpdump's do.
func newTCPRecord() *record.Builder {
	return &record.Builder{
		Keep:         func(int) bool { return true },
		Linger:       time.Duration(math.MaxInt64),
		RestartAtSYN: true,
	}
}

// tcpPacket folds s into b and copies its flags and relative numbers into
// p, from the packet its connection just recorded.
func tcpPacket(b *record.Builder, s *capture.Segment, p *lab.Packet) {
	p.Flags = s.Flags.String()
	b.Add(s)
	c := b.Lookup(s.Src, s.Dst)
	if c == nil || len(c.Timeline) == 0 {
		return
	}
	rp := c.Timeline[len(c.Timeline)-1]
	p.Seq, p.Ack = rp.Seq, rp.Ack
}
