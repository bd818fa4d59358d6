package runner_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
	"github.com/tcpteardown/teardown/lab/runner"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

// TestRealDiagramGolden runs the seed's two experiments on the kernel and
// compares their sequence diagrams, times normalised, with golden files.
// Unlike the renderer's hand-built goldens, these hold the kernel to the
// exact packets, states and call results of experiments A and B: if a
// kernel (or the runner) starts answering differently, the diff shows where.
//
// The experiments are scripts with 100 ms and 300 ms sleeps, and what the
// kernel sends depends on them: a client whose close() runs 160 ms late
// (a CPU-starved goroutine) lets the server's reply carry the ACK of its
// FIN instead of a delayed ACK 40 ms after it, and a starved accept()
// moves the measured "~0.3 s" to "~0.7 s". Both were seen at a load
// average of 25 on two cores. Such a run is a different experiment: the
// test measures how long this process was stalled while it ran and, past
// maxStall, skips with the figure rather than compare.
func TestRealDiagramGolden(t *testing.T) {
	testenv.RequireRoot(t)
	for _, name := range []string{"seed-close", "seed-shutdown"} {
		t.Run(name, func(t *testing.T) {
			s, err := lab.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			var res []lab.Result
			stall := stalled(func() { res = runner.RunScenario(context.Background(), s, nil) })
			if len(res) != 1 || res[0].Err != "" {
				t.Fatalf("run: %+v", res)
			}
			if stall > maxStall {
				t.Skipf("this process was stalled for %v while the scenario ran (more than %v): its timing, and so the kernel's answers, are not the experiment's", stall, maxStall)
			}
			if res[0].Status == lab.StatusInconclusive {
				t.Skipf("inconclusive run: %s", res[0].Reason)
			}
			var got bytes.Buffer
			if err := render.Diagram(&got, res[0], &render.Options{Width: 100, NormalizeTimes: true, HideDurations: true}); err != nil {
				t.Fatal(err)
			}
			paths := []string{filepath.Join("testdata", name+".golden")}
			for _, alt := range alternatives[name] {
				paths = append(paths, filepath.Join("testdata", name+"."+alt+".golden"))
			}
			compareGolden(t, paths, got.Bytes())
		})
	}
}

// alternatives are the other diagrams the kernel draws for a scenario when
// its softirq work is deferred, not this process: the stall detector
// cannot see that. seed-shutdown: the client's write("aaa") and
// shutdown(WR) follow each other at once; on loopback the server's socket
// normally receives "aaa" in the softirq run at the end of the client's
// write and acknowledges it before the FIN leaves. When the kernel hands
// that softirq work to ksoftirqd (it does under load), the FIN is sent
// first, and the server acknowledges the data and then the FIN as two ACKs
// (seen once in a 20-round soak at load average 13). Both are the
// experiment's answer; the verdicts are the same.
var alternatives = map[string][]string{
	"seed-shutdown": {"ack-after-fin"},
}

// maxStall is the longest stall of this process under which the seed
// experiments keep their order of events: their steps are 100 ms apart and
// a delayed ACK comes 40 ms after the segment it acknowledges.
const maxStall = 40 * time.Millisecond

// stalled runs fn and returns the longest time a 5 ms ticker of this
// process fired late meanwhile: how long the runner's goroutines could
// have been kept from running.
func stalled(fn func()) time.Duration {
	const tick = 5 * time.Millisecond
	done := make(chan struct{})
	worst := make(chan time.Duration)
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		var max time.Duration
		last := time.Now()
		for {
			select {
			case <-done:
				worst <- max
				return
			case <-t.C:
				now := time.Now() // when this goroutine ran, not when the tick was due
				if late := now.Sub(last) - tick; late > max {
					max = late
				}
				last = now
			}
		}
	}()
	fn()
	close(done)
	return <-worst
}

// compareGolden passes when got is one of the files at paths; it shows
// the difference from the first (the usual one), which -update rewrites.
func compareGolden(t *testing.T, paths []string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(paths[0], got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var first string
	for i, path := range paths {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(want) == string(got) {
			if i > 0 {
				t.Logf("the kernel drew %s", path)
			}
			return
		}
		if i == 0 {
			first = string(want)
		}
	}
	t.Errorf("%s (-want +got):\n%s", paths[0], cmp.Diff(first, string(got)))
}
