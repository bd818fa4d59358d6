package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/server"
)

// The close strategies of the servers compared.
const (
	CloseTeardown = "teardown"
	CloseGraceful = "graceful" // "graceful-goroutine" in tables
	ClosePlain    = "plain"
	CloseSleep500 = "sleep500"
)

// Closes lists the strategies in table order, plain (the reference) first.
var Closes = []string{ClosePlain, CloseTeardown, CloseGraceful, CloseSleep500}

// ServerConfig is the side of the churn protocol a server runs.
type ServerConfig struct {
	Addr     string
	Req      int    // request size read before replying
	Reply    int    // reply size
	Close    string // one of Closes
	Idle     time.Duration
	Linger   time.Duration
	MaxDrain int64
}

// target is a running server of any strategy.
type target interface {
	// shutdown stops accepting, lets connections finish, and at ctx's end
	// aborts the rest; it returns how many it aborted.
	shutdown(ctx context.Context) (int, error)
	// counts returns connections accepted and closed, and the histogram of
	// handler return to descriptor closed.
	counts() (accepted, closed uint64, h server.Histogram)
	close()
}

func (c *ServerConfig) options() *teardown.Options {
	return &teardown.Options{IdleTimeout: c.Idle, LingerTime: c.Linger, MaxDrain: c.MaxDrain}
}

// start listens and serves cfg in the background.
func start(cfg *ServerConfig) (target, net.Addr, error) {
	l, err := server.Listen(context.Background(), cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, nil, fmt.Errorf("bench: %s is in use: pick another -addr (port 0 picks a free one): %w", cfg.Addr, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	if cfg.Close == CloseTeardown {
		return startTeardown(cfg, l), l.Addr(), nil
	}
	g := &goServer{cfg: cfg, l: l, conns: map[net.Conn]struct{}{}}
	go g.serve()
	return g, l.Addr(), nil
}

// answer reads one request and writes the reply: the protocol of every
// server. It reports whether the reply was written.
func answer(c net.Conn, req, reply []byte) bool {
	if _, err := io.ReadFull(c, req); err != nil {
		return false
	}
	_, err := c.Write(reply)
	return err == nil
}

// teardownTarget is package server.
type teardownTarget struct{ s *server.Server }

func startTeardown(cfg *ServerConfig, l net.Listener) target {
	reply := make([]byte, cfg.Reply)
	s := &server.Server{CloseOptions: cfg.options(), Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
		answer(c, make([]byte, cfg.Req), reply)
	})}
	go func() { _ = s.Serve(l) }() // ErrServerClosed when the bench ends it
	return &teardownTarget{s: s}
}

func (t *teardownTarget) shutdown(ctx context.Context) (int, error) {
	err := t.s.Shutdown(ctx)
	return int(t.s.Stats().Aborted), err
}
func (t *teardownTarget) close() { _ = t.s.Close() } // the bench is over: nothing is left to report
func (t *teardownTarget) counts() (uint64, uint64, server.Histogram) {
	st := t.s.Stats()
	var closed uint64
	for _, n := range st.ClosedBy {
		closed += n
	}
	return st.Accepted, closed + st.ClosedByHandler, st.CloseTime
}

// goServer is the goroutine-per-connection server of the other strategies:
// the smallest accept loop Go allows.
type goServer struct {
	cfg              *ServerConfig
	l                net.Listener
	accepted, closed atomic.Uint64
	mu               sync.Mutex
	hist             server.Histogram
	conns            map[net.Conn]struct{}
	wg               sync.WaitGroup
}

func (g *goServer) serve() {
	reply := make([]byte, g.cfg.Reply)
	for {
		c, err := g.l.Accept()
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if err != nil {
			return
		}
		g.accepted.Add(1)
		g.track(c, true)
		g.wg.Add(1)
		go g.handle(c, reply)
	}
}

func (g *goServer) track(c net.Conn, add bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if add {
		g.conns[c] = struct{}{}
	} else {
		delete(g.conns, c)
	}
}

func (g *goServer) handle(c net.Conn, reply []byte) {
	defer g.wg.Done()
	answer(c, make([]byte, g.cfg.Req), reply)
	t0 := time.Now()
	g.closeConn(c)
	d := time.Since(t0)
	g.track(c, false)
	g.closed.Add(1)
	g.mu.Lock()
	g.hist.Record(d)
	g.mu.Unlock()
}

// closeConn is where the strategies differ.
func (g *goServer) closeConn(c net.Conn) {
	switch g.cfg.Close {
	case CloseGraceful:
		_, _ = teardown.Graceful(context.Background(), c, g.cfg.options()) // the load generator sees the outcome
	case CloseSleep500:
		// net/http's closeWriteAndWait: FIN, then give the client time to
		// receive it before close may send RST.
		_ = teardown.CloseWrite(c) // a failure shows as the client's lost reply
		time.Sleep(500 * time.Millisecond)
		c.Close()
	default:
		c.Close()
	}
}

func (g *goServer) counts() (uint64, uint64, server.Histogram) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.accepted.Load(), g.closed.Load(), g.hist
}

// shutdown closes the listener (a plain Go server resets whatever is still
// in the accept queue) and waits for the connections, like
// net/http.Server.Shutdown; at ctx's end it resets the rest.
func (g *goServer) shutdown(ctx context.Context) (int, error) {
	g.l.Close()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0, nil
	case <-ctx.Done():
		return g.abortAll(), ctx.Err()
	}
}

func (g *goServer) abortAll() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		_ = teardown.Abort(c) // the abort strategy: the client counts the reset
	}
	return len(g.conns)
}

func (g *goServer) close() {
	g.l.Close()
	g.abortAll()
	g.wg.Wait()
}
