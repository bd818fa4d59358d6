package server

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/sys"
)

// epollLingerer closes lingering connections without a goroutine each. A
// connection's descriptor is duplicated and Go's copy closed: Go's close
// removes it from the runtime's epoll set first (EPOLL_CTL_DEL), and the
// socket survives because our duplicate still refers to it, so nothing is
// sent. The duplicate joins one of a few shards, each an epoll set watched by
// one goroutine that reads and discards, closes at EOF, a reset, the byte
// budget or a timer, and keeps its timers in a heap.
type epollLingerer struct {
	s        *Server
	b        bounds
	base     time.Time // origin of the shards' monotonic nanoseconds
	shards   []*shard
	next     atomic.Uint32
	fallback *goLingerer
	wg       sync.WaitGroup
}

// Shards: one goroutine already keeps up with tens of thousands of closes a
// second on loopback; more only help with many cores.
func shardCount() int { return max(1, min(4, runtime.GOMAXPROCS(0)/4)) }

func newLingerer(s *Server, b bounds) lingerer {
	l := &epollLingerer{s: s, b: b, base: time.Now(), fallback: newGoLingerer(s, b)}
	if b.sink {
		return l.fallback
	}
	for range shardCount() {
		sh, err := newShard(l)
		if err != nil {
			s.logf("server: epoll lingerer: %v; closing with a goroutine per connection", err)
			for _, sh := range l.shards {
				_ = sh.ep.close() // falling back: the set is dropped either way
			}
			return l.fallback
		}
		l.shards = append(l.shards, sh)
	}
	for _, sh := range l.shards {
		l.wg.Add(1)
		go sh.run()
	}
	return l
}

func (l *epollLingerer) now() int64 { return int64(time.Since(l.base)) }

// linger moves c's socket to a shard: duplicate its descriptor, close Go's,
// half-close.
func (l *epollLingerer) linger(c net.Conn, start time.Time) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		l.fallback.linger(c, start) // e.g. *tls.Conn: Graceful sends close_notify
		return
	}
	fd := -1
	err := sys.Control(tc, func(raw int) (err error) { fd, err = sys.Dup(raw); return err })
	switch {
	case errors.Is(err, net.ErrClosed):
		l.s.handlerClosed(c)
		return
	case err != nil:
		l.fallback.linger(c, start) // out of descriptors: a goroutine it is
		return
	}
	tc.Close()
	// Our FIN goes out after the reply (RFC 9293 §3.6): the peer reads
	// everything, then EOF. Sent on the duplicate, once Go's poller has
	// forgotten the socket, so the event it raises wakes nobody.
	if err := sys.Shutdown(fd, sys.ShutWR); err != nil {
		l.lost(c, fd, err)
		return
	}
	sh := l.shards[int(l.next.Add(1))%len(l.shards)]
	sh.add(c, fd, start.Sub(l.base).Nanoseconds())
}

// lost accounts a connection whose half-close failed: a reset arrived
// first (ENOTCONN).
func (l *epollLingerer) lost(c net.Conn, fd int, err error) {
	sys.RawClose(fd)
	o := teardown.OutcomeFailed
	if errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.ECONNRESET) {
		o = teardown.OutcomePeerReset
	}
	l.s.finish(c, teardown.Report{Outcome: o}, true)
}

func (l *epollLingerer) abortAll() int {
	n := l.fallback.abortAll()
	for _, sh := range l.shards {
		n += sh.abortAll()
	}
	return n
}

func (l *epollLingerer) stop() {
	for _, sh := range l.shards {
		sh.close()
	}
	l.wg.Wait()
	for _, sh := range l.shards {
		_ = sh.ep.close() // the lingerer is stopping: nothing is left to report to
	}
	l.fallback.stop()
}

// lconn is one lingering connection: about 90 bytes, plus c when a
// ConnState hook needs it.
type lconn struct {
	c       net.Conn // nil without a ConnState hook
	fd      int
	start   int64 // handler return, ns since base
	last    int64 // last byte read, ns since base
	due     int64 // heap key: when to look at it again
	drained int64
	idx     int // position in the heap
}

// finished is a close to account once the shard's lock is released.
type finished struct {
	c net.Conn
	r teardown.Report
}

// handlerClosed accounts a connection the handler closed itself.
func (s *Server) handlerClosed(c net.Conn) {
	s.stats.byHandler.Add(1)
	s.stats.lingering.Add(-1)
	s.release()
	s.setState(c, StateClosed)
}
