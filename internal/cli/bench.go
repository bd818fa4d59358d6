package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

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
		"(each server runs in its own process: teardown bench server -h)")
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
	if fs.NArg() > 0 {
		return Usagef("bench: unexpected argument %q (see teardown bench -h)", fs.Arg(0))
	}
	if err := cfg.ParseLists(*workloads, *servers); err != nil {
		return Usagef("bench: %w", err)
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
	if ctx.Err() != nil {
		return Interruptedf("bench: interrupted after %d of %d runs (every server process stopped)", len(rs), len(cfg.Workloads)*len(cfg.Servers))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return bench.WriteJSON(env.Stdout, rs)
	}
	return bench.WriteTable(env.Stdout, rs)
}

func runBenchServer(ctx context.Context, env *Env, args []string) error {
	var cfg bench.ServerConfig
	fs := NewFlagSet(env, "bench server", "-addr A [-req 16] [-reply 32] [-close teardown|graceful|plain|sleep500]")
	control := cfg.Flags(fs)
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("bench server: unexpected argument %q (see teardown bench server -h)", fs.Arg(0))
	}
	if err := cfg.Check(); err != nil {
		return Usagef("bench server: %w", err)
	}
	return bench.RunServer(ctx, &cfg, env.Stdin, env.Stdout, *control)
}
