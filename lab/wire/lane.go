package wire

import (
	"container/heap"
	"os"
	"sync"
	"time"
)

// item is a packet waiting for its delivery time.
type item struct {
	at    time.Time
	n     uint64 // arrival order: equal times deliver in order
	frame []byte
	ev    *Event // recorded as Delivered when written (delay, hold); nil for link delay
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].n < q[j].n
	}
	return q[i].at.Before(q[j].at)
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return it
}

// lane delivers one direction's delayed packets at their time: the link's
// one-way delay and rate, delay rules, and released holds all pass here.
type lane struct {
	out       *os.File
	mu        sync.Mutex
	q         queue
	n         uint64
	busy      time.Time // rate: when the link finishes sending what it has
	wake      chan struct{}
	done      chan struct{}
	delivered func(*Event) // records a Delivered event
}

func newLane(out *os.File, delivered func(*Event)) *lane {
	return &lane{out: out, wake: make(chan struct{}, 1), done: make(chan struct{}), delivered: delivered}
}

// push schedules frame for at.
func (l *lane) push(at time.Time, frame []byte, ev *Event) {
	l.mu.Lock()
	l.n++
	heap.Push(&l.q, &item{at: at, n: l.n, frame: frame, ev: ev})
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// serialise returns when a packet of size bytes leaves a link of rate
// bit/s that is busy until l.busy: it queues behind what is being sent.
func (l *lane) serialise(now time.Time, size int, rate int64) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now
	if l.busy.After(now) {
		start = l.busy
	}
	l.busy = start.Add(time.Duration(int64(size) * 8 * int64(time.Second) / rate))
	return l.busy
}

// run writes packets when they are due until done is closed.
func (l *lane) run() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		wait := l.flush(time.Now())
		t.Reset(wait)
		select {
		case <-l.done:
			return
		case <-l.wake:
		case <-t.C:
		}
	}
}

// flush writes every due packet and returns how long until the next.
func (l *lane) flush(now time.Time) time.Duration {
	for {
		l.mu.Lock()
		if len(l.q) == 0 {
			l.mu.Unlock()
			return time.Hour
		}
		if d := l.q[0].at.Sub(now); d > 0 {
			l.mu.Unlock()
			return d
		}
		it := heap.Pop(&l.q).(*item)
		l.mu.Unlock()
		// Recorded before the write, like every event: whoever sees the
		// packet arrive finds its event already there.
		if it.ev != nil {
			l.delivered(it.ev)
		}
		_, _ = l.out.Write(it.frame[ethLen:]) // a closed wire drops what is in flight
	}
}
