package bench_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/bench"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The table people read, from fixed results.
func TestWriteTable(t *testing.T) {
	rs := []bench.Result{
		{Workload: "churn", Server: "plain", Conns: 1000, ConnPerSec: 10000, CPUPerConn: 40, CloseP50: 7, CloseP99: 40,
			Ratio: map[string]float64{"conn_per_s": 1, "cpu_us_per_conn": 1, "close_p50_us": 1, "close_p99_us": 1}},
		{Workload: "churn", Server: "teardown", Conns: 900, ConnPerSec: 9000, CPUPerConn: 52, CloseP50: 900, CloseP99: 6000,
			Ratio: map[string]float64{"conn_per_s": 0.9, "cpu_us_per_conn": 1.3, "close_p50_us": 128.57, "close_p99_us": 150}},
		{Workload: "pipelined", Server: "plain", Complete: 1, Lost: 399, Ratio: map[string]float64{"lost": 1}},
		{Workload: "pipelined", Server: "teardown", Complete: 400, Ratio: map[string]float64{"lost": 0}},
		{Workload: "hold", Server: "teardown", Held: 10000, KiBPerConn: 0.3, GoKiBPerConn: 0.29, Threads: 21,
			BurstKiBPerConn: 0.44, BurstAllocKiBPerConn: 0.74, BurstThreads: 112},
		{Workload: "shutdown", Server: "teardown", Conns: 5000, Complete: 5000, Refused: 32},
	}
	var buf bytes.Buffer
	if err := bench.WriteTable(&buf, rs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line    string
		verb    string
		d       time.Duration
		wantErr bool
	}{
		{line: "stats", verb: "stats"},
		{line: " stats \n", verb: "stats"},
		{line: "shutdown 10s", verb: "shutdown", d: 10 * time.Second},
		{line: "shutdown", wantErr: true},
		{line: "shutdown -1s", wantErr: true},
		{line: "stats now", wantErr: true},
		{line: "reboot", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			verb, d, err := bench.ParseCommand(tt.line)
			if (err != nil) != tt.wantErr || verb != tt.verb || d != tt.d {
				t.Errorf("ParseCommand(%q) = %q, %v, %v; want %q, %v, error %v", tt.line, verb, d, err, tt.verb, tt.d, tt.wantErr)
			}
		})
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"stats", "shutdown 10s", "shutdown 1h2m", "", "shutdown  ", "x y z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		verb, d, err := bench.ParseCommand(line)
		if err != nil {
			return
		}
		if verb != "stats" && verb != "shutdown" || verb == "shutdown" && d <= 0 {
			t.Errorf("ParseCommand(%q) = %q, %v: accepted something invalid", line, verb, d)
		}
	})
}
