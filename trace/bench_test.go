package trace_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

// BenchmarkEventLatency churns loopback connections (bounded: at most
// maxConns and maxTime) and reports how long a transition takes from the
// kernel's stamp to arriving on Events(), plus the events the kernel lost.
//
//	sudo go test -run '^$' -bench EventLatency -benchtime 1x ./trace/
func BenchmarkEventLatency(b *testing.B) {
	testenv.RequireRoot(b)
	b.Run("paced", func(b *testing.B) { benchLatency(b, 200, 10*time.Millisecond) })
	b.Run("churn", func(b *testing.B) { benchLatency(b, 1000, 0) })
}

// benchLatency opens maxConns connections (for 10 s at most), gap apart.
func benchLatency(b *testing.B, maxConns int, gap time.Duration) {
	const maxTime = 10 * time.Second
	l := listenB(b)
	tr, err := trace.Start(context.Background(), &trace.Config{Ports: []uint16{port(l)}})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	go acceptAndClose(l)
	lat := make(chan []time.Duration)
	go measure(tr, lat)
	b.ResetTimer()
	n := churn(b, l.Addr().String(), maxConns, maxTime, gap)
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // let the last events arrive
	tr.Close()
	d := <-lat
	slices.Sort(d)
	if len(d) == 0 {
		b.Fatal("no events")
	}
	b.ReportMetric(float64(n), "conns")
	b.ReportMetric(float64(len(d)), "events")
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(d[len(d)-1].Microseconds()), "max-µs")
	b.ReportMetric(float64(tr.Lost()), "lost")
	b.ReportMetric(float64(tr.Clock().Bound.Nanoseconds()), "clock-bound-ns")
}

func listenB(b *testing.B) *net.TCPListener {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
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

// measure records arrival − kernel stamp for every real (not inferred,
// not held-back SYN-SENT) transition until the tracer stops.
func measure(tr *trace.Tracer, out chan<- []time.Duration) {
	var d []time.Duration
	for e := range tr.Events() {
		if !e.Inferred && e.To != tcpstate.SynSent {
			d = append(d, time.Since(e.Time))
		}
	}
	out <- d
}

func churn(b *testing.B, addr string, maxConns int, maxTime, gap time.Duration) int {
	var d net.Dialer
	d.SetMultipathTCP(false)
	deadline := time.Now().Add(maxTime)
	n := 0
	for ; n < maxConns && time.Now().Before(deadline); n++ {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
		time.Sleep(gap)
	}
	return n
}
