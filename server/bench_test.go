package server_test

import (
	"context"
	"io"
	"net"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/server"
)

// BenchmarkChurn compares, in one run, the graceful close of the server with
// a plain close by the handler (same accept loop, same protocol: 16-byte
// request, 32-byte reply, the client reads to EOF and closes). It reports
// CPU time of the whole process per connection (client included: both run
// here; `teardown bench` separates the server's) and the ratio to plain.
func BenchmarkChurn(b *testing.B) {
	cpu := map[string]float64{}
	for _, name := range []string{"plain", "teardown"} {
		b.Run(name, func(b *testing.B) {
			h := reply(16, 32)
			s := &server.Server{Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
				h(ctx, c)
				if name == "plain" {
					c.Close()
				}
			})}
			addr := serve(b, s)
			cpu0 := processCPU()
			b.ResetTimer()
			runClients(b, addr, b.N)
			b.StopTimer()
			cpu[name] = float64(processCPU()-cpu0) / float64(b.N)
			b.ReportMetric(cpu[name]/1e3, "cpu-µs/conn")
			if name == "teardown" && cpu["plain"] > 0 {
				b.ReportMetric(cpu[name]/cpu["plain"], "cpu-x-plain")
			}
		})
	}
}

// BenchmarkFINToClose measures, per connection, the time from the client's
// close (its FIN) to the server's close of the descriptor (the ConnState
// hook), and reports the median and the 99th percentile.
func BenchmarkFINToClose(b *testing.B) {
	for _, tt := range []struct {
		name string
		opts *teardown.Options
	}{
		{name: "epoll"},
		{name: "goroutine", opts: &teardown.Options{Sink: io.Discard}}, // a Sink forces the fallback
	} {
		b.Run(tt.name, func(b *testing.B) { finToClose(b, tt.opts) })
	}
}

func finToClose(b *testing.B, opts *teardown.Options) {
	var mu sync.Mutex
	closed := map[string]time.Time{}
	s := &server.Server{Handler: reply(16, 32), CloseOptions: opts, ConnState: func(c net.Conn, st server.ConnState) {
		if st == server.StateClosed {
			mu.Lock()
			closed[c.RemoteAddr().String()] = time.Now()
			mu.Unlock()
		}
	}}
	addr := serve(b, s)
	fins := make(map[string]time.Time, b.N)
	for range b.N {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Write(make([]byte, 16))
		c.Read(make([]byte, 64))
		c.Read(make([]byte, 64)) // EOF: the server's FIN
		fins[c.LocalAddr().String()] = time.Now()
		c.Close()
	}
	waitFor(b, "the closes", func() bool { return s.Stats().Lingering == 0 })
	var d []time.Duration
	mu.Lock()
	for k, t := range fins {
		d = append(d, closed[k].Sub(t))
	}
	mu.Unlock()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// runClients makes n churn connections from 8 goroutines.
func runClients(b *testing.B, addr string, n int) {
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range jobs {
				if got, err := exchange(addr, make([]byte, 16), 0); err != nil || got != 32 {
					b.Errorf("reply: %d bytes, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// processCPU returns the user+system CPU time of this process in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
