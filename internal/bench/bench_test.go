package bench_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/bench"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// childEnv makes this test binary act as `teardown bench server`, so that
// the tests run the real child processes.
const childEnv = "TEARDOWN_BENCH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(child())
	}
	testenv.Main(m)
}

func child() int {
	var cfg bench.ServerConfig
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	control := cfg.Flags(fs)
	if fs.Parse(os.Args[1:]) != nil || cfg.Check() != nil {
		return 2
	}
	if err := bench.RunServer(context.Background(), &cfg, os.Stdin, os.Stdout, *control); err != nil {
		return 1
	}
	return 0
}

func spawn(args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	return cmd
}

// A small run of every workload against plain Close and teardown's server:
// the claims of issue 5 that do not depend on speed hold.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 10 server processes")
	}
	cfg := bench.Config{Duration: 400 * time.Millisecond, Conns: 8, Hold: 100, Pipelined: 40,
		Workloads: bench.Workloads, Servers: []string{bench.ClosePlain, bench.CloseTeardown},
		Spawn: spawn, Stderr: os.Stderr}
	rs, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bench.Result{}
	for _, r := range rs {
		got[r.Workload+"/"+r.Server] = r
	}
	tests := []struct {
		name string
		ok   func(r bench.Result) bool
	}{
		{"churn/plain", func(r bench.Result) bool { return r.Conns > 0 && r.Lost == 0 && r.CPUPerConn > 0 }},
		{"churn/teardown", func(r bench.Result) bool { return r.Conns > 0 && r.Lost == 0 && r.Ratio["cpu_us_per_conn"] > 0 }},
		{"churn-paired/teardown", func(r bench.Result) bool { return r.Conns > 0 && r.Lost == 0 && r.Ratio["cpu_us_per_conn"] > 0 }},
		{"pipelined/teardown", func(r bench.Result) bool { return r.Complete == 40 && r.Lost == 0 }},
		// A plain close with the second request unread: RST, replies cut.
		{"pipelined/plain", func(r bench.Result) bool { return r.Lost > 0 }},
		{"hold/teardown", func(r bench.Result) bool { return r.Held == 100 && r.GoroutinesPerConn < 0.5 }},
		{"hold/plain", func(r bench.Result) bool { return r.Held == 0 }},
		{"shutdown/teardown", func(r bench.Result) bool { return r.Lost == 0 && r.Complete > 0 }},
	}
	// Paired: the clients alternate, so the servers got the same number of
	// connections, give or take the ones in flight at the end.
	if a, b := got["churn-paired/plain"].Conns, got["churn-paired/teardown"].Conns; a == 0 || max(a, b)-min(a, b) > uint64(cfg.Conns) {
		t.Errorf("churn-paired: plain got %d connections, teardown %d: not alternated", a, b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := got[tt.name]
			if !ok || !tt.ok(r) {
				t.Errorf("%s: unexpected result %+v", tt.name, r)
			}
		})
	}
}
