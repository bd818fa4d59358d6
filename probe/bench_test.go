package probe_test

import (
	"context"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/probe"
)

// BenchmarkBattery runs the whole battery against this module's server and
// reports its wall time as a multiple of the max wait (issue 15: at most
// max wait + 5 s; the checks wait side by side, so about 1×).
func BenchmarkBattery(b *testing.B) {
	addr := startOwnServerB(b)
	const wait = time.Second
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := probe.Run(context.Background(), &probe.Config{Addr: addr, Large: "/large", MaxWait: wait}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(wait), "max-waits/battery")
}
