package server

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/tcpteardown/teardown"
)

// A lingerer owns connections from the return of their handler to the close
// of their descriptor, and calls Server.finish once for each.
type lingerer interface {
	// linger takes c; start is when its handler returned.
	linger(c net.Conn, start time.Time)
	// abortAll resets every connection it holds and returns how many.
	abortAll() int
	// stop aborts what is left and ends its goroutines; a connection
	// handed over later is reset at once.
	stop()
}

// bounds are the close options with the defaults of teardown.Graceful filled
// in.
type bounds struct {
	opts     *teardown.Options // as given, for teardown.Graceful
	linger   time.Duration
	idle     time.Duration
	maxDrain int64 // < 0: unlimited
	abort    bool  // OnTimeout == AbortOnTimeout
	sink     bool  // a Sink is set: the fallback handles every connection
}

func resolve(o *teardown.Options) bounds {
	v := o.WithDefaults()
	return bounds{opts: o, linger: v.LingerTime, idle: v.IdleTimeout, maxDrain: v.MaxDrain,
		abort: v.OnTimeout == teardown.AbortOnTimeout, sink: v.Sink != nil}
}

// goLingerer runs teardown.Graceful in a goroutine per connection: the
// portable way, and the Linux one for connections the epoll lingerer cannot
// take (TLS, which needs close_notify from Go; a Sink).
type goLingerer struct {
	s  *Server
	b  bounds
	mu sync.Mutex
	// conns maps each connection to the cancel of its Graceful call.
	conns   map[net.Conn]context.CancelFunc
	stopped bool
	wg      sync.WaitGroup
}

func newGoLingerer(s *Server, b bounds) *goLingerer {
	return &goLingerer{s: s, b: b, conns: map[net.Conn]context.CancelFunc{}}
}

func (g *goLingerer) linger(c net.Conn, start time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		cancel()
		abortConn(c)
		g.s.finish(c, teardown.Report{Outcome: teardown.OutcomeCanceled, Aborted: true}, true)
		return
	}
	g.conns[c] = cancel
	g.wg.Add(1)
	g.mu.Unlock()
	go g.run(ctx, c, start)
}

func (g *goLingerer) run(ctx context.Context, c net.Conn, start time.Time) {
	defer g.wg.Done()
	r, _ := teardown.Graceful(ctx, c, g.b.opts)
	g.mu.Lock()
	cancel, ok := g.conns[c]
	delete(g.conns, c)
	g.mu.Unlock()
	if !ok {
		r.Aborted = true // abortAll set SO_LINGER {1,0} before cancelling
	} else {
		cancel()
	}
	r.Duration = time.Since(start)
	g.s.finish(c, r, true)
}

// abortAll sets SO_LINGER {1,0} on each connection, so that the close at the
// end of its Graceful call is an RST, and cancels the call.
func (g *goLingerer) abortAll() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for c, cancel := range g.conns {
		_ = teardown.SetLinger(c, 0) // if it fails the close below is a FIN: still an end
		cancel()
		delete(g.conns, c)
		n++
	}
	return n
}

func (g *goLingerer) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.abortAll()
	g.wg.Wait()
}
