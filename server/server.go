package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcpteardown/teardown"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("server: Server closed")

// A Handler serves one connection. When ServeConn returns, the server closes
// the connection gracefully: the handler must not close it (if it does, the
// server only counts it in Stats.ClosedByHandler). ctx ends when the server
// is closed, or when Shutdown's context ends.
type Handler interface {
	ServeConn(ctx context.Context, c net.Conn)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c net.Conn)

// ServeConn calls f(ctx, c).
func (f HandlerFunc) ServeConn(ctx context.Context, c net.Conn) { f(ctx, c) }

// Server accepts TCP connections, runs Handler on each, and then closes each
// one without losing data: FIN after the reply, discard what the peer still
// sends, close at its FIN or at a bound of CloseOptions. The zero value is
// ready to use once Handler is set. A Server must not be reused after
// Shutdown or Close.
type Server struct {
	Handler Handler
	// CloseOptions bounds each connection's close (nil: the defaults of
	// teardown.Graceful: 30 s in all, 5 s of silence, 1 MiB drained). It is
	// named CloseOptions because Close is the method.
	CloseOptions *teardown.Options
	// MaxConns caps the connections held at once, lingering ones included
	// (they hold a descriptor). 0 is unlimited; beyond it, accept waits.
	MaxConns int
	// ConnState, if set, is called at each change of a connection's state.
	// StateClosed is called from the lingerer: keep the hook short.
	ConnState func(net.Conn, ConnState)
	// ErrorLog receives accept errors and handler panics (nil: the log
	// package's standard logger).
	ErrorLog *log.Logger

	initOnce sync.Once
	ctx      context.Context // handlers' ctx
	cancel   context.CancelFunc
	done     chan struct{} // closed when Shutdown or Close begins
	doneOnce sync.Once
	sem      chan struct{} // MaxConns slots, nil when unlimited
	lg       lingerer
	clearTTL atomic.Bool // a listener drains by IP_MINTTL: clear it on what is accepted

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	active    map[net.Conn]*connRec
	serving   sync.WaitGroup // Serve loops
	stopOnce  sync.Once

	stats counters
}

// connRec is what the server knows of a connection whose handler runs.
type connRec struct {
	aborted bool // Shutdown's ctx ended or Close ran: it was reset
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.done = make(chan struct{})
		s.listeners = map[net.Listener]struct{}{}
		s.active = map[net.Conn]*connRec{}
		if s.MaxConns > 0 {
			s.sem = make(chan struct{}, s.MaxConns)
		}
		s.lg = newLingerer(s, resolve(s.CloseOptions))
	})
}

// ListenAndServe listens on the TCP address addr and calls Serve. The
// listener has SO_REUSEADDR (Go's default on Unix: a restarted server can bind
// while old connections sit in TIME-WAIT, claim C23) and plain TCP, not
// MPTCP (Go ≥ 1.24 may pick MPTCP by default).
func (s *Server) ListenAndServe(addr string) error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	l, err := Listen(context.Background(), addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Listen opens the listener ListenAndServe uses.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return l, nil
}

func (s *Server) shuttingDown() bool {
	s.init()
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) logf(format string, a ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, a...)
		return
	}
	log.Printf(format, a...)
}

func (s *Server) setState(c net.Conn, st ConnState) {
	if s.ConnState != nil {
		s.ConnState(c, st)
	}
}

// serveConn runs the handler, then hands the connection to the lingerer.
func (s *Server) serveConn(c net.Conn) {
	s.setState(c, StateActive)
	s.runHandler(c)
	if s.endActive(c) {
		// Reset by Shutdown's end or Close while the handler ran, and
		// accounted then (abortActive).
		s.release()
		s.setState(c, StateClosed)
		return
	}
	s.setState(c, StateLingering)
	s.lg.linger(c, time.Now())
}

func (s *Server) runHandler(c net.Conn) {
	defer func() {
		if v := recover(); v != nil {
			s.logf("server: panic serving %v: %v", c.RemoteAddr(), v)
		}
	}()
	s.Handler.ServeConn(s.ctx, c)
}

func (s *Server) trackActive(c net.Conn) {
	s.mu.Lock()
	s.active[c] = &connRec{}
	s.mu.Unlock()
	s.stats.active.Add(1)
}

// endActive forgets c and reports whether it was aborted meanwhile; if not,
// c moves from active to lingering in the counters. Under the lock, so that
// abortActive accounts a connection once: either it or the handler's return.
func (s *Server) endActive(c net.Conn) (aborted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.active[c]
	delete(s.active, c)
	if rec != nil && rec.aborted {
		return true
	}
	// Counted as lingering before it stops being active, so that Shutdown
	// never sees both at zero while a connection is between the two.
	s.stats.lingering.Add(1)
	s.stats.active.Add(-1)
	return false
}

// finish accounts a connection whose descriptor is closed. The lingerer and
// the fallback call it exactly once per connection handed to them.
func (s *Server) finish(c net.Conn, r teardown.Report, lingered bool) {
	// Counted as closed before it stops lingering: Stats never shows a
	// connection in neither (Stats reads Lingering before ClosedBy).
	s.stats.record(r)
	if lingered {
		s.stats.lingering.Add(-1)
	}
	s.release()
	s.setState(c, StateClosed)
}
