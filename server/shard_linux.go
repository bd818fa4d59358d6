package server

import (
	"container/heap"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/sys"
)

// shard is one epoll set of lingering descriptors and the goroutine that
// serves it. Its lock guards the map and the heap against linger (called by
// handler goroutines) and abortAll.
type shard struct {
	l      *epollLingerer
	ep     *epoll
	mu     sync.Mutex
	conns  map[int]*lconn
	timers timerHeap
	closed bool
	buf    []byte // discarded input lands here
	events []readyFD
	done   []finished
	// spare is the previous round's done, emptied, for the next round: only
	// run touches it. Without it every round allocated a new done, which
	// was the lingerer's largest allocation (140 B per connection in churn,
	// measured with -memprofile).
	spare []finished
}

// readsPerWake bounds the reads for one descriptor per wake-up, so that a
// peer that floods cannot starve the others: level-triggered epoll reports
// it again next round.
const readsPerWake = 4

func newShard(l *epollLingerer) (*shard, error) {
	ep, err := newEpoll(256)
	if err != nil {
		return nil, err
	}
	return &shard{l: l, ep: ep, conns: map[int]*lconn{}, buf: make([]byte, 32<<10)}, nil
}

// add takes fd, whose handler returned at start.
func (sh *shard) add(c net.Conn, fd int, start int64) {
	if sh.l.s.ConnState == nil {
		c = nil // do not keep the closed net.Conn alive for nobody
	}
	now := sh.l.now()
	lc := &lconn{c: c, fd: fd, start: start, last: now}
	lc.due = sh.dueOf(lc)
	sh.mu.Lock()
	err := sh.ep.add(fd)
	if sh.closed || err != nil {
		sh.mu.Unlock()
		sh.l.s.finish(c, sh.closeFD(lc, teardown.OutcomeCanceled, true), true)
		return
	}
	sh.conns[fd] = lc
	// No need to wake run for the new timer: every connection has the same
	// bounds, so a new one is never due before what run already waits for
	// (see timeout).
	heap.Push(&sh.timers, lc)
	sh.mu.Unlock()
}

// dueOf is when lc hits its nearer bound: silence or total time.
func (sh *shard) dueOf(lc *lconn) int64 {
	b := sh.l.b
	return min(lc.last+int64(b.idle), lc.start+int64(b.linger))
}

// timeout (called locked) is how long run may wait: until the earliest
// timer, or, with none, the shortest bound a connection added meanwhile can
// have.
func (sh *shard) timeout() time.Duration {
	if len(sh.timers) == 0 {
		return min(sh.l.b.idle, sh.l.b.linger)
	}
	return max(0, time.Duration(sh.timers[0].due-sh.l.now()))
}

// run serves the shard until close. Between rounds it is parked by Go's
// network poller, like a goroutine reading a socket.
func (sh *shard) run() {
	defer sh.l.wg.Done()
	timeout := min(sh.l.b.idle, sh.l.b.linger) // nothing can be due sooner
	for {
		evs, err := sh.ep.wait(sh.events[:0], timeout)
		if err != nil {
			sh.l.s.logf("server: lingerer: %v", err)
			time.Sleep(10 * time.Millisecond) // never spin on a broken set
		}
		sh.events = evs
		var closed bool
		timeout, closed = sh.round(evs)
		if closed {
			return
		}
	}
}

// round handles one wake-up: ready descriptors, expired timers. It returns
// the next timeout, and whether the shard is closed.
func (sh *shard) round(evs []readyFD) (time.Duration, bool) {
	sh.mu.Lock()
	now := sh.l.now()
	for _, ev := range evs {
		if lc := sh.conns[ev.Fd]; lc != nil {
			sh.drain(lc, now)
		}
	}
	sh.expire(now)
	timeout, closed := sh.timeout(), sh.closed
	done := sh.done
	sh.done, sh.spare = sh.spare, nil // deliver runs unlocked: abortAll must not append to done
	sh.mu.Unlock()
	sh.deliver(done)
	sh.spare = done[:0]
	return timeout, closed
}

// deliver accounts closes outside the lock: ConnState hooks may be slow.
func (sh *shard) deliver(done []finished) {
	for i, f := range done {
		sh.l.s.finish(f.c, f.r, true)
		done[i] = finished{}
	}
}

// drain reads and discards what lc's peer sent, and ends lc at EOF, an
// error or the byte budget.
func (sh *shard) drain(lc *lconn, now int64) {
	for range readsPerWake {
		n, err := sys.RawRead(lc.fd, sh.limit(lc))
		switch {
		case n > 0:
			lc.drained += int64(n)
			lc.last = now
			if b := sh.l.b; b.maxDrain >= 0 && lc.drained > b.maxDrain {
				sh.end(lc, teardown.OutcomeBudgetExceeded, b.abort)
				return
			}
		case err == nil: // read 0: the peer's FIN, everything it sent was read
			sh.end(lc, teardown.OutcomePeerClosed, false)
			return
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
			return
		case errors.Is(err, syscall.ECONNRESET):
			sh.end(lc, teardown.OutcomePeerReset, false)
			return
		default: // ETIMEDOUT (TCP_USER_TIMEOUT, retransmissions), EPIPE …
			sh.end(lc, teardown.OutcomeFailed, false)
			return
		}
	}
}

// limit keeps a read at most one byte beyond the budget, as
// teardown.Graceful does: a peer sending exactly MaxDrain then FIN is clean.
func (sh *shard) limit(lc *lconn) []byte {
	if b := sh.l.b; b.maxDrain >= 0 {
		if room := b.maxDrain - lc.drained + 1; room < int64(len(sh.buf)) {
			return sh.buf[:room]
		}
	}
	return sh.buf
}

// expire ends the connections whose bound passed. A timer is only a hint:
// input since it was set moved the idle bound, so it is recomputed first.
func (sh *shard) expire(now int64) {
	for len(sh.timers) > 0 && sh.timers[0].due <= now {
		lc := sh.timers[0]
		if due := sh.dueOf(lc); due > now {
			lc.due = due
			heap.Fix(&sh.timers, 0)
			continue
		}
		o := teardown.OutcomeIdleTimeout
		if lc.start+int64(sh.l.b.linger) <= lc.last+int64(sh.l.b.idle) {
			o = teardown.OutcomeLingerTimeout
		}
		sh.end(lc, o, sh.l.b.abort)
	}
}

// end forgets lc, closes its descriptor and queues its report.
func (sh *shard) end(lc *lconn, o teardown.Outcome, abort bool) {
	delete(sh.conns, lc.fd)
	heap.Remove(&sh.timers, lc.idx)
	sh.done = append(sh.done, finished{lc.c, sh.closeFD(lc, o, abort)})
}

// closeFD closes lc's descriptor, with RST if abort, and reports like
// teardown.Graceful.
func (sh *shard) closeFD(lc *lconn, o teardown.Outcome, abort bool) teardown.Report {
	// Unacked and Unsent (SIOCOUTQ) are not asked: Stats has no place for
	// them, and an ioctl per close is measurable in churn.
	r := teardown.Report{Outcome: o, Drained: lc.drained}
	if abort {
		// RST, no TIME-WAIT (C17); if SO_LINGER is refused the close is a
		// FIN, and Stats must not count it as a reset.
		abort = sys.Linger(lc.fd, true, 0) == nil
	} else if o != teardown.OutcomePeerClosed && o != teardown.OutcomePeerReset {
		// Input left unread makes close send RST (C21): say so.
		n, err := sys.InQ(lc.fd)
		abort = err == nil && n > 0
	}
	r.Aborted = abort
	sys.RawClose(lc.fd)
	r.Duration = time.Duration(sh.l.now() - lc.start)
	return r
}

// abortAll resets every connection of the shard.
func (sh *shard) abortAll() int {
	sh.mu.Lock()
	n := len(sh.conns)
	for _, lc := range sh.conns {
		sh.end(lc, teardown.OutcomeCanceled, true)
	}
	done := sh.done
	sh.done = nil
	sh.mu.Unlock()
	sh.deliver(done)
	return n
}

// close aborts what is left and wakes run, which returns; the lingerer
// closes the set after that.
func (sh *shard) close() {
	sh.mu.Lock()
	sh.closed = true
	sh.mu.Unlock()
	sh.abortAll()
	_ = sh.ep.wakeUp() // fails only once the set is closed: nobody is left to wake
}

// timerHeap orders lingering connections by due time (container/heap).
type timerHeap []*lconn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *timerHeap) Push(x any) {
	lc := x.(*lconn)
	lc.idx = len(*h)
	*h = append(*h, lc)
}
func (h *timerHeap) Pop() any {
	old := *h
	lc := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return lc
}
