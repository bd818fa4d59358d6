package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"time"
)

// The workloads, in run order.
const (
	Churn       = "churn"
	ChurnPaired = "churn-paired" // churn against every server at once (paired.go)
	Pipelined   = "pipelined"
	Hold        = "hold"
	Shutdown    = "shutdown"
)

// Workloads lists them.
var Workloads = []string{Churn, ChurnPaired, Pipelined, Hold, Shutdown}

// Config is one benchmark run. Zero fields get the defaults of
// DefaultConfig.
type Config struct {
	Duration  time.Duration // of each churn and shutdown run
	Conns     int           // concurrent clients in churn, pipelined and shutdown
	Hold      int           // connections held open in hold
	Pipelined int           // connections in pipelined
	Workloads []string
	Servers   []string // close strategies (Closes)
	// Spawn builds the command of a server child from the flags of
	// `teardown bench server`.
	Spawn    func(args []string) *exec.Cmd
	Progress io.Writer // one line per run; nil: none
	Stderr   io.Writer // the children's stderr
}

// DefaultConfig finishes in about a minute on 2 cores.
func DefaultConfig() Config {
	return Config{Duration: 3 * time.Second, Conns: 32, Hold: 10000, Pipelined: 400,
		Workloads: Workloads, Servers: Closes}
}

// Run runs every workload against every server, one child process each,
// and returns the results in table order.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	var out []Result
	for _, w := range cfg.Workloads {
		if w == ChurnPaired {
			rs, err := runPaired(ctx, &cfg)
			if err != nil {
				return out, err
			}
			for _, r := range rs {
				cfg.progress("bench: %-12s %-18s %s", w, r.Server, r.brief())
			}
			out = append(out, rs...)
			continue
		}
		for _, s := range cfg.Servers {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			r, err := runOne(ctx, &cfg, w, s)
			if err != nil {
				return out, err
			}
			cfg.progress("bench: %-12s %-18s %s", w, Label(s), r.brief())
			out = append(out, r)
		}
	}
	ratios(out)
	return out, nil
}

func (cfg *Config) progress(format string, a ...any) {
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, format+"\n", a...)
	}
}

// serverFor is the server side of workload w.
func serverFor(w, close string) *ServerConfig {
	sc := &ServerConfig{Addr: "127.0.0.1:0", Req: 16, Reply: 32, Close: close,
		Idle: 5 * time.Second, Linger: 30 * time.Second, MaxDrain: 1 << 20}
	switch w {
	case Pipelined:
		sc.Reply = 256 << 10
	case Hold:
		sc.Idle, sc.Linger = 10*time.Minute, 10*time.Minute // held until the clients go
	}
	return sc
}

func runOne(ctx context.Context, cfg *Config, w, close string) (Result, error) {
	sc := serverFor(w, close)
	p, err := spawn(cfg.Spawn, sc, cfg.Stderr)
	if err != nil {
		return Result{}, err
	}
	defer p.stop()
	r := Result{Workload: w, Server: Label(close)}
	before, err := p.ask("stats", 30*time.Second)
	if err != nil {
		return r, err
	}
	start := time.Now()
	switch w {
	case Churn:
		err = runChurn(ctx, cfg, p, sc, &r)
	case Pipelined:
		err = runPipelined(ctx, cfg, p, sc, &r)
	case Hold:
		err = runHold(ctx, cfg, p, sc, &r, before)
		return r, err
	case Shutdown:
		err = runShutdown(ctx, cfg, p, sc, &r)
		return r, err
	default:
		return r, fmt.Errorf("bench: unknown workload %q", w)
	}
	if err != nil {
		return r, err
	}
	return r, r.server(p, before, time.Since(start))
}

// server fills in what the server measured during the run.
func (r *Result) server(p *proc, before Snapshot, elapsed time.Duration) error {
	after, err := p.ask("stats", 30*time.Second)
	if err != nil {
		return err
	}
	r.Conns = after.Accepted - before.Accepted
	r.ConnPerSec = float64(r.Conns) / elapsed.Seconds()
	if r.Conns > 0 {
		r.CPUPerConn = float64(after.CPUMicros-before.CPUMicros) / float64(r.Conns)
	}
	r.CloseP50, r.CloseP99 = after.CloseP50, after.CloseP99
	return nil
}

func runChurn(ctx context.Context, cfg *Config, p *proc, sc *ServerConfig, r *Result) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var t tally
	b := newBudget(10_000_000)
	req := make([]byte, sc.Req)
	workers(ctx, cfg.Conns, func() bool {
		if !b.take() {
			return false
		}
		t.add(exchange(p.addr, req, sc.Reply, 0))
		return true
	})
	r.tally(&t)
	// Let the last closes finish: their CPU belongs to the run.
	time.Sleep(100 * time.Millisecond)
	return nil
}

// runPipelined: two requests in one write; the client starts reading 10 ms
// later, as a client busy elsewhere does; the server answers the first.
func runPipelined(ctx context.Context, cfg *Config, p *proc, sc *ServerConfig, r *Result) error {
	ctx, cancel := context.WithTimeout(ctx, 10*cfg.Duration)
	defer cancel()
	var t tally
	b := newBudget(cfg.Pipelined)
	req := make([]byte, 2*sc.Req)
	workers(ctx, cfg.Conns, func() bool {
		if !b.take() {
			return false
		}
		t.add(exchange(p.addr, req, sc.Reply, 10*time.Millisecond))
		return true
	})
	r.tally(&t)
	time.Sleep(600 * time.Millisecond) // sleep500's last closes
	return nil
}

// Hold's two paces: the bench's own, and a burst as a client that opens
// many connections at once makes it (issue 9: 10,000 connections, 256
// handshaking at once, measured 0.68 KiB RSS per connection and 60 threads).
const (
	holdPace  = 64
	holdBurst = 256
)

// runHold holds cfg.Hold connections at the bench's pace, then, against a
// fresh server (the first run's threads and free lists would hide the
// burst's), in a burst.
func runHold(ctx context.Context, cfg *Config, p *proc, sc *ServerConfig, r *Result, before Snapshot) error {
	m, err := holdOnce(ctx, cfg, p, sc, holdPace, before)
	if err != nil {
		return err
	}
	r.Conns, r.Held, r.KiBPerConn, r.GoKiBPerConn, r.GoroutinesPerConn, r.Threads =
		m.conns, m.held, m.kib, m.goKiB, m.goroutines, m.threads
	p2, err := spawn(cfg.Spawn, sc, cfg.Stderr)
	if err != nil {
		return err
	}
	defer p2.stop()
	before2, err := p2.ask("stats", 30*time.Second)
	if err != nil {
		return err
	}
	m, err = holdOnce(ctx, cfg, p2, sc, holdBurst, before2)
	r.BurstKiBPerConn, r.BurstAllocKiBPerConn, r.BurstThreads = m.kib, m.alloc, m.threads
	return err
}

// holdFigures are one hold's results.
type holdFigures struct {
	conns                  uint64
	held                   int64
	kib, goKiB, goroutines float64 // per connection held
	alloc                  float64 // KiB allocated per connection, garbage included
	threads                int64   // the server's OS threads while it holds them
}

func holdOnce(ctx context.Context, cfg *Config, p *proc, sc *ServerConfig, par int, before Snapshot) (holdFigures, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*cfg.Duration+30*time.Second)
	defer cancel()
	conns := hold(ctx, p.addr, cfg.Hold, par, sc.Req, sc.Reply)
	defer closeAll(conns)
	time.Sleep(200 * time.Millisecond) // the last handlers return
	after, err := p.ask("stats", 60*time.Second)
	if err != nil {
		return holdFigures{}, err
	}
	m := holdFigures{conns: after.Accepted - before.Accepted, threads: after.Threads,
		held: int64(after.Accepted-after.Closed) - int64(before.Accepted-before.Closed)}
	if m.held > 0 {
		n := float64(m.held)
		m.kib = float64(after.RSSKiB-before.RSSKiB) / n
		m.goKiB = float64(after.GoKiB-before.GoKiB) / n
		m.goroutines = float64(after.Goroutines-before.Goroutines) / n
		m.alloc = float64(after.AllocKiB-before.AllocKiB) / n
	}
	return m, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// runShutdown churns, asks the server to shut down half-way, and counts
// the replies lost: connected clients that did not get their whole reply.
func runShutdown(ctx context.Context, cfg *Config, p *proc, sc *ServerConfig, r *Result) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+20*time.Second)
	defer cancel()
	var t tally
	req := make([]byte, sc.Req)
	done := make(chan struct{})
	go func() {
		defer close(done)
		workers(ctx, cfg.Conns, func() bool {
			o := exchange(p.addr, req, sc.Reply, 0)
			t.add(o)
			return o != refused // the listener is gone
		})
	}()
	time.Sleep(cfg.Duration / 2)
	s, err := p.ask("shutdown 10s", 30*time.Second)
	<-done
	r.tally(&t)
	r.Aborted = s.Aborted
	r.Conns = s.Accepted
	return err
}
