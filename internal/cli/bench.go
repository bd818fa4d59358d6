package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/internal/bench"
)

func init() {
	Register(&Command{
		Name:    "bench",
		Summary: "compare a data-safe close with plain Close and the Go alternatives under load (loopback)",
		Run:     runBench,
	})
}

func runBench(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "server" {
		return runBenchServer(ctx, env, args[1:])
	}
	cfg := bench.DefaultConfig()
	fs := NewFlagSet(env, "bench", "[-duration D] [-conns N] [-hold N] [-pipelined N] [-workloads LIST] [-servers LIST] [-json]\n"+
		"       teardown bench server -addr A [-req 16] [-reply 32] [-close teardown|graceful|plain|sleep500]")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of each churn and shutdown run")
	fs.IntVar(&cfg.Conns, "conns", cfg.Conns, "concurrent clients")
	fs.IntVar(&cfg.Hold, "hold", cfg.Hold, "connections held open in the hold workload")
	fs.IntVar(&cfg.Pipelined, "pipelined", cfg.Pipelined, "connections in the pipelined workload")
	workloads := fs.String("workloads", strings.Join(bench.Workloads, ","), "workloads to run")
	servers := fs.String("servers", "plain,teardown,graceful-goroutine,sleep500", "servers to compare")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if err := benchLists(&cfg, *workloads, *servers); err != nil {
		return err
	}
	if cfg.Duration <= 0 || cfg.Conns <= 0 || cfg.Hold <= 0 || cfg.Pipelined <= 0 {
		return Usagef("bench: -duration, -conns, -hold and -pipelined must be positive")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: cannot re-run myself as the server: %w", err)
	}
	cfg.Spawn = func(a []string) *exec.Cmd { return exec.Command(exe, append([]string{"bench", "server"}, a...)...) }
	cfg.Progress, cfg.Stderr = env.Stderr, env.Stderr
	rs, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return bench.WriteJSON(env.Stdout, rs)
	}
	return bench.WriteTable(env.Stdout, rs)
}

// benchLists checks the -workloads and -servers lists.
func benchLists(cfg *bench.Config, workloads, servers string) error {
	cfg.Workloads = strings.Split(workloads, ",")
	for _, w := range cfg.Workloads {
		if !slices.Contains(bench.Workloads, w) {
			return Usagef("bench: unknown workload %q (have %s)", w, strings.Join(bench.Workloads, ", "))
		}
	}
	cfg.Servers = nil
	for _, s := range strings.Split(servers, ",") {
		c, ok := closeName(s)
		if !ok {
			return Usagef("bench: unknown server %q (have plain, teardown, graceful-goroutine, sleep500)", s)
		}
		cfg.Servers = append(cfg.Servers, c)
	}
	return nil
}

// closeName accepts a strategy by its -close name or its table label.
func closeName(s string) (string, bool) {
	if s == "graceful-goroutine" {
		return bench.CloseGraceful, true
	}
	return s, slices.Contains(bench.Closes, s)
}

func runBenchServer(ctx context.Context, env *Env, args []string) error {
	cfg := bench.ServerConfig{Idle: 5 * time.Second, Linger: 30 * time.Second, MaxDrain: 1 << 20}
	fs := NewFlagSet(env, "bench server", "-addr A [-req 16] [-reply 32] [-close teardown|graceful|plain|sleep500]")
	fs.StringVar(&cfg.Addr, "addr", "", "address to listen on, e.g. 127.0.0.1:8000")
	fs.IntVar(&cfg.Req, "req", 16, "request size: bytes read before replying")
	fs.IntVar(&cfg.Reply, "reply", 32, "reply size in bytes")
	fs.StringVar(&cfg.Close, "close", bench.CloseTeardown, "close strategy: teardown, graceful, plain, sleep500")
	fs.DurationVar(&cfg.Idle, "idle", cfg.Idle, "lingering close: idle timeout")
	fs.DurationVar(&cfg.Linger, "linger", cfg.Linger, "lingering close: total time")
	fs.Int64Var(&cfg.MaxDrain, "max-drain", cfg.MaxDrain, "lingering close: byte budget (<0 unlimited)")
	control := fs.Bool("control", false, "read commands (stats, shutdown D) on stdin, answer JSON; EOF stops (used by `teardown bench`)")
	if err := Parse(fs, args); err != nil {
		return err
	}
	c, ok := closeName(cfg.Close)
	switch {
	case cfg.Addr == "":
		return Usagef("bench server: -addr is required, e.g. -addr 127.0.0.1:8000")
	case !ok:
		return Usagef("bench server: unknown -close %q (have teardown, graceful, plain, sleep500)", cfg.Close)
	case cfg.Req <= 0 || cfg.Reply < 0:
		return Usagef("bench server: -req must be positive and -reply not negative")
	}
	cfg.Close = c
	return bench.RunServer(ctx, &cfg, env.Stdin, env.Stdout, *control)
}
