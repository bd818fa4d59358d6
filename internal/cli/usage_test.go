package cli_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/internal/bench"
	"github.com/tcpteardown/teardown/internal/cli"
)

// TestUsageErrors: every kind of bad usage ends with one error line that
// says what to do, exit code 2, and no help text printed besides (the
// flag package's own usage dump is suppressed).
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown command, typo", []string{"lba"}, `unknown command "lba": did you mean "lab"? (teardown help lists the commands)`},
		{"unknown command, one letter off", []string{"serv"}, `unknown command "serv": did you mean "serve"?`},
		{"unknown command, prefix", []string{"cap"}, `unknown command "cap": did you mean "capture"?`},
		{"unknown command, far", []string{"frobnicate"}, `unknown command "frobnicate" (teardown help lists the commands)`},
		{"help for unknown", []string{"help", "lba"}, `did you mean "lab"?`},
		{"bad flag", []string{"serve", "-bogus"}, "flag provided but not defined: -bogus (see teardown serve -h)"},
		{"bad flag value", []string{"bench", "-conns", "many"}, `invalid value "many" for flag -conns: parse error (see teardown bench -h)`},
		{"bench stray argument", []string{"bench", "extra"}, `bench: unexpected argument "extra" (see teardown bench -h)`},
		{"bench server stray argument", []string{"bench", "server", "-addr", "127.0.0.1:0", "extra"}, `bench server: unexpected argument "extra"`},
		{"serve stray argument", []string{"serve", "extra"}, `serve: unexpected argument "extra"`},
		{"client stray argument", []string{"client", "extra"}, `client: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runCmd(tt.args, "")
			if code := cli.Code(err); code != cli.ExitUsage {
				t.Errorf("exit code %d, want 2 (err %v)", code, err)
			}
			if err == nil || !strings.Contains(cli.OneLine(err), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if out != "" || errOut != "" {
				t.Errorf("printed besides the error line:\nstdout: %q\nstderr: %q", out, errOut)
			}
		})
	}
}

// TestBareCommandPrintsHelp: `teardown` alone prints the help (it used to
// run the whole lab) on stderr and exits 2 with nothing more to say.
func TestBareCommandPrintsHelp(t *testing.T) {
	out, errOut, err := runCmd(nil, "")
	if cli.Code(err) != cli.ExitUsage || !cli.Quiet(err) {
		t.Errorf("err %v (exit %d, quiet %v), want a quiet exit 2", err, cli.Code(err), cli.Quiet(err))
	}
	if out != "" || !strings.Contains(errOut, "Commands:") || !strings.Contains(errOut, "  lab ") {
		t.Errorf("want the help on stderr only; stdout %q, stderr:\n%s", out, errOut)
	}
}

// TestHelpRequests: help is asked for in three ways and always goes to
// stdout with exit 0.
func TestHelpRequests(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"serve", "-h"}, {"help", "serve"}, {"lab", "-help"}} {
		out, errOut, err := runCmd(args, "")
		if cli.Code(err) != cli.ExitOK || errOut != "" || !strings.Contains(out, "Usage: teardown") {
			t.Errorf("%q: exit %d, stderr %q, stdout:\n%s", args, cli.Code(err), errOut, out)
		}
	}
	a, _, _ := runCmd([]string{"serve", "-h"}, "")
	b, _, _ := runCmd([]string{"help", "serve"}, "")
	if a != b {
		t.Errorf("`help serve` differs from `serve -h`:\n%s\n---\n%s", b, a)
	}
}

// TestExitCodes pins the documented exit codes.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{flag.ErrHelp, 0},
		{errors.New("lab: 2 of 30 scenarios failed"), 1},
		{cli.Usagef("serve: -delay -1s is negative"), 2},
		{context.Canceled, 130},
		{fmt.Errorf("lab run: %w", context.Canceled), 130},
		{cli.Interruptedf("bench: interrupted after 3 of 20 runs"), 130},
	}
	for _, tt := range tests {
		if got := cli.Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestFitsEightyColumns: the help, every command's -h, the client's
// `help` and the bench table fit an 80-column terminal.
func TestFitsEightyColumns(t *testing.T) {
	texts := map[string]string{}
	texts["teardown help"], _, _ = runCmd([]string{"help"}, "")
	for _, c := range []string{"bench", "bench server", "capture", "client", "lab", "serve", "watch"} {
		texts[c+" -h"], _, _ = runCmd(append(strings.Fields(c), "-h"), "")
	}
	texts["client help"] = clientHelp(t)
	texts["bench table"] = wideBenchTable(t)
	for name, text := range texts {
		if text == "" {
			t.Errorf("%s: no output", name)
		}
		for _, line := range strings.Split(text, "\n") {
			if w := cli.Width(line); w > 80 {
				t.Errorf("%s: %d columns: %q", name, w, line)
			}
		}
	}
}

// wideBenchTable is the bench table with its longest server name and the
// widest figures a run gives (sleep500 closes 10,000 times slower than plain).
func wideBenchTable(t *testing.T) string {
	var b strings.Builder
	big := map[string]float64{"conn_per_s": 0.05, "cpu_us_per_conn": 12.5, "close_p50_us": 12500, "close_p99_us": 12500, "lost": 99.5}
	rs := []bench.Result{
		{Workload: bench.Churn, Server: "graceful-goroutine", ConnPerSec: 123456, CPUPerConn: 999.9, CloseP50: 999999, CloseP99: 999999, Lost: 9999, Ratio: big},
		{Workload: bench.Pipelined, Server: "graceful-goroutine", Complete: 99999, Lost: 99999, ResetAfter: 99999, Ratio: big},
		{Workload: bench.Hold, Server: "graceful-goroutine", Held: 100000, KiBPerConn: 999.99, GoKiBPerConn: 999.99, GoroutinesPerConn: 9.99},
		{Workload: bench.Shutdown, Server: "graceful-goroutine", Conns: 999999, Complete: 999999, Lost: 99999, Refused: 99999, Aborted: 99999, Ratio: big},
	}
	if err := bench.WriteTable(&b, rs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// clientHelp is what the client prints for the line `help`.
func clientHelp(t *testing.T) string {
	t.Helper()
	srv := startServe(t, "-delay", "0s", "-once")
	out, _, err := runCmd([]string{"client", "-addr", srv.addr, "-stdin-eof", "close", "-close-wait", "0s"}, "help\n")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "关闭": 4, "a关b": 4, "→ [F.]": 6} {
		if got := cli.Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
	if got := cli.PadRight("关闭", 6) + "|"; got != "关闭  |" {
		t.Errorf("PadRight = %q", got)
	}
}
