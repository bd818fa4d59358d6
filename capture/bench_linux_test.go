package capture_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// Churn bounds: whatever b.N asks for, the benchmark stops after this many
// connections or this long (the machine is shared).
const (
	churnMaxConns = 200_000
	churnMaxTime  = 10 * time.Second
)

// BenchmarkCaptureChurn opens and closes loopback connections (one per
// iteration) while a capture reads their segments, and reports the kernel's
// drop counter and the latency from the kernel's stamp to the Segment
// returned by Next (p50, p99, max).
//
//	sudo go test -run '^$' -bench CaptureChurn -benchtime 10s ./capture/
func BenchmarkCaptureChurn(b *testing.B) {
	testenv.RequireRoot(b)
	// flat out: the churn itself competes with the reader for the CPUs;
	// paced: about 2000 connections/s, the reader has the CPU it needs.
	b.Run("flat-out", func(b *testing.B) { benchChurn(b, 0) })
	b.Run("paced", func(b *testing.B) { benchChurn(b, 500*time.Microsecond) })
}

func benchChurn(b *testing.B, gap time.Duration) {
	l := listen(b, "tcp4", "127.0.0.1:0")
	go acceptAndClose(l)
	c := openCapture(b, uint16(l.Addr().(*net.TCPAddr).Port))
	lat := make(chan []time.Duration, 1)
	go measureLatency(c, lat)
	b.ResetTimer()
	conns := churn(b, l.Addr().String(), b.N, gap)
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // let the reader drain the ring
	st, err := c.Stats()
	if err != nil {
		b.Fatal(err)
	}
	c.Close()
	report(b, <-lat, st, conns)
}

func acceptAndClose(l *net.TCPListener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// churn dials and closes n connections (bounded by count and time), gap
// apart.
func churn(b *testing.B, addr string, n int, gap time.Duration) int {
	deadline := time.Now().Add(churnMaxTime)
	i := 0
	for ; i < min(n, churnMaxConns) && time.Now().Before(deadline); i++ {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			b.Fatalf("connection %d: %v", i, err)
		}
		c.Close()
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return i
}

// measureLatency reads until the capture closes and sends the latencies.
func measureLatency(c *capture.Capture, out chan<- []time.Duration) {
	var lat []time.Duration
	for {
		s, err := c.Next(context.Background())
		if err != nil {
			out <- lat
			return
		}
		lat = append(lat, time.Since(s.Time))
	}
}

func report(b *testing.B, lat []time.Duration, st capture.Stats, conns int) {
	if len(lat) == 0 {
		b.Fatal("no segment captured")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(float64(st.Drops), "drops")
	b.ReportMetric(float64(len(lat)), "segments")
	b.ReportMetric(float64(conns), "conns")
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(1), "max-µs")
	b.ReportMetric(0, "ns/op") // the time per connection is not what is measured
	b.Logf("%d connections, %d segments, kernel: %d passed filter, %d dropped; latency p50 %.0f µs, p99 %.0f µs, max %.0f µs",
		conns, len(lat), st.Packets, st.Drops, q(0.5), q(0.99), q(1))
}
