package bench

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// tally counts what clients saw.
type tally struct {
	complete, lost, truncated, resetAfter, refused atomic.Int64
}

// outcome of one client exchange.
type outcome int

const (
	complete   outcome = iota // the whole reply, then EOF
	truncated                 // less than the reply (reset or EOF early)
	resetAfter                // the whole reply, then a reset instead of EOF
	refused                   // never connected: not a lost reply
)

func (t *tally) add(o outcome) {
	switch o {
	case complete:
		t.complete.Add(1)
	case truncated:
		t.lost.Add(1)
		t.truncated.Add(1)
	case resetAfter:
		t.resetAfter.Add(1)
	case refused:
		t.refused.Add(1)
	}
}

// exchange is one client: connect, send req, wait delay, read to EOF.
func exchange(addr string, req []byte, want int, delay time.Duration) outcome {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return refused
	}
	defer c.Close()
	return talk(c, req, want, delay)
}

func talk(c net.Conn, req []byte, want int, delay time.Duration) outcome {
	if _, err := c.Write(req); err != nil {
		return truncated
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second)) // a TCP conn takes deadlines
	n, err := io.Copy(io.Discard, c)
	switch {
	case int(n) < want:
		return truncated
	case err != nil:
		return resetAfter
	}
	return complete
}

// workers runs fn from n goroutines until ctx ends or fn returns false.
func workers(ctx context.Context, n int, fn func() bool) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil && fn() {
			}
		})
	}
	wg.Wait()
}

// budget hands out at most n tickets.
type budget struct{ left atomic.Int64 }

func newBudget(n int) *budget {
	b := &budget{}
	b.left.Store(int64(n))
	return b
}

func (b *budget) take() bool { return b.left.Add(-1) >= 0 }

// hold opens n connections that read their reply and EOF but never close,
// from par goroutines (so at most par handshakes and handlers at once),
// until ctx ends. The caller closes them.
func hold(ctx context.Context, addr string, n, par, reqLen, replyLen int) []net.Conn {
	var mu sync.Mutex
	conns := make([]net.Conn, 0, n)
	b := newBudget(n)
	workers(ctx, par, func() bool {
		if !b.take() {
			return false
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return true
		}
		// A failed exchange still holds its connection: the hold workload
		// counts what the server keeps, not what the client got.
		_, _ = c.Write(make([]byte, reqLen))
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		_, _ = io.CopyN(io.Discard, c, int64(replyLen))
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return true
	})
	return conns
}
