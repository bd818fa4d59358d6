package bench

import (
	"context"
	"sync/atomic"
	"time"
)

// runPaired is churn against every server at once: one process each, and
// each client connection goes to the next server in turn, so they all see
// the same load at the same moments. Whatever else runs on the machine
// slows them alike, and their CPU ratio is much steadier than churn's,
// whose servers run one after the other (docs/performance.md: ±15 % between
// churn runs). The servers also compete with each other for the cores, so
// its ratios run a little higher than churn's.
func runPaired(ctx context.Context, cfg *Config) ([]Result, error) {
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	var scs []*ServerConfig
	var before []Snapshot
	for _, s := range cfg.Servers {
		sc := serverFor(Churn, s)
		p, err := spawn(cfg.Spawn, sc, cfg.Stderr)
		if err != nil {
			return nil, err
		}
		procs, scs = append(procs, p), append(scs, sc)
	}
	for _, p := range procs {
		s, err := p.ask("stats", 30*time.Second)
		if err != nil {
			return nil, err
		}
		before = append(before, s)
	}
	start := time.Now()
	tallies := pairedLoad(ctx, cfg, procs, scs)
	time.Sleep(100 * time.Millisecond) // the last closes: their CPU belongs to the run
	elapsed := time.Since(start)
	out := make([]Result, len(procs))
	for i, p := range procs {
		out[i] = Result{Workload: ChurnPaired, Server: Label(cfg.Servers[i])}
		out[i].tally(&tallies[i])
		if err := out[i].server(p, before[i], elapsed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pairedLoad runs the churn clients for cfg.Duration, sending connection k
// to server k mod n.
func pairedLoad(ctx context.Context, cfg *Config, procs []*proc, scs []*ServerConfig) []tally {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	tallies := make([]tally, len(procs))
	var next atomic.Uint64
	b := newBudget(10_000_000)
	workers(ctx, cfg.Conns, func() bool {
		if !b.take() {
			return false
		}
		i := int(next.Add(1) % uint64(len(procs)))
		tallies[i].add(exchange(procs[i].addr, make([]byte, scs[i].Req), scs[i].Reply, 0))
		return true
	})
	return tallies
}
