package server

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/tcpteardown/teardown"
)

// Stats is a snapshot of a server's counters.
type Stats struct {
	Accepted        uint64                      // connections accepted
	Active          int64                       // handlers running
	Lingering       int64                       // closes under way: FIN sent, waiting for the peer's
	ClosedBy        map[teardown.Outcome]uint64 // closes by outcome, as teardown.Graceful reports them
	ClosedByHandler uint64                      // connections the handler closed itself
	BytesDrained    uint64                      // bytes discarded after our FIN
	ResetsSent      uint64                      // closes that sent RST (policy, abort, or unread input)
	AcceptRetries   uint64                      // accept failures on EMFILE/ENFILE waited out
	Aborted         uint64                      // connections reset because Shutdown's ctx ended or Close ran
	Drain           Drain                       // how Shutdown kept new connections out of the accept queue
	QueueResets     uint64                      // connections reset in an accept queue when a listener closed
	CloseTime       Histogram                   // from handler return to descriptor closed
}

// String returns one line, e.g. "accepted 3 active 0 lingering 0 closed peer-closed=3 drained 0 B resets 0".
func (st Stats) String() string {
	s := fmt.Sprintf("accepted %d active %d lingering %d closed", st.Accepted, st.Active, st.Lingering)
	for o := teardown.OutcomePeerClosed; o <= teardown.OutcomeFailed; o++ {
		if n := st.ClosedBy[o]; n > 0 {
			s += fmt.Sprintf(" %s=%d", o, n)
		}
	}
	s += fmt.Sprintf(" drained %d B resets %d", st.BytesDrained, st.ResetsSent)
	if st.Aborted > 0 {
		s += fmt.Sprintf(" aborted %d", st.Aborted)
	}
	if st.Drain != DrainNotRun {
		s += fmt.Sprintf(" drain %v", st.Drain)
	}
	if st.QueueResets > 0 {
		s += fmt.Sprintf(" queue-resets %d", st.QueueResets)
	}
	return s
}

// counters are the live, atomic form of Stats.
type counters struct {
	accepted, byHandler, drained, resets, acceptRetries atomic.Uint64
	aborted, queueResets                                atomic.Uint64
	active, lingering                                   atomic.Int64
	drain                                               atomic.Int32 // a Drain
	closedBy                                            [teardown.OutcomeFailed + 1]atomic.Uint64
	closeTime                                           histogram
}

func (c *counters) record(r teardown.Report) {
	if r.Outcome > 0 && int(r.Outcome) < len(c.closedBy) {
		c.closedBy[r.Outcome].Add(1)
	}
	c.drained.Add(uint64(r.Drained))
	if r.Aborted {
		c.resets.Add(1)
	}
	c.closeTime.add(r.Duration)
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Accepted: c.accepted.Load(), Active: c.active.Load(), Lingering: c.lingering.Load(),
		ClosedBy: map[teardown.Outcome]uint64{}, ClosedByHandler: c.byHandler.Load(),
		BytesDrained: c.drained.Load(), ResetsSent: c.resets.Load(),
		AcceptRetries: c.acceptRetries.Load(), CloseTime: c.closeTime.snapshot(),
		Aborted: c.aborted.Load(), Drain: Drain(c.drain.Load()), QueueResets: c.queueResets.Load(),
	}
	for o := range c.closedBy {
		if n := c.closedBy[o].Load(); n > 0 {
			st.ClosedBy[teardown.Outcome(o)] = n
		}
	}
	return st
}

// A histogram of durations with 8 buckets per power of two of nanoseconds
// (at most 12.5 % error), cheap enough to update on every close.
const (
	subBits  = 3
	subCount = 1 << subBits
	nBuckets = (64 - subBits + 1) * subCount
)

type histogram struct{ b [nBuckets]atomic.Uint64 }

func (h *histogram) add(d time.Duration) { h.b[bucket(uint64(max(d, 0)))].Add(1) }

func (h *histogram) snapshot() Histogram {
	var out Histogram
	for i := range h.b {
		out.counts[i] = h.b[i].Load()
	}
	return out
}

// bucket maps v to its bucket: values below subCount exactly, others by
// their highest bit and the subBits bits below it.
func bucket(v uint64) int {
	if v < subCount {
		return int(v)
	}
	exp := bits.Len64(v) - 1
	sub := (v >> (exp - subBits)) & (subCount - 1)
	return (exp-subBits+1)*subCount + int(sub)
}

// lowest returns the smallest value of bucket i.
func lowest(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	exp := i/subCount + subBits - 1
	return 1<<exp | uint64(i%subCount)<<(exp-subBits)
}

// Histogram is a snapshot of a duration histogram.
type Histogram struct{ counts [nBuckets]uint64 }

// Record adds d; for histograms kept outside a Server (the benchmark's
// comparison servers).
func (h *Histogram) Record(d time.Duration) { h.counts[bucket(uint64(max(d, 0)))]++ }

// Count returns the number of durations recorded.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// Quantile returns the duration below which a fraction q of the recorded
// ones fall (the lower bound of its bucket), 0 when empty.
func (h Histogram) Quantile(q float64) time.Duration {
	total := h.Count()
	if total == 0 {
		return 0
	}
	rank := uint64(q * float64(total-1))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return time.Duration(lowest(i))
		}
	}
	return time.Duration(lowest(nBuckets - 1))
}

// Merge adds the counts of o to h.
func (h *Histogram) Merge(o Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
}
