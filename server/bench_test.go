package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
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
// hook), and reports the median and the 99th percentile. The server runs in
// a child process (this test binary again, TestFINHelper): a client in the
// same Go runtime competes with the lingerer for the Ps and threads, and
// its stalls (its thread off the CPU for a scheduler slice, ~4 ms here)
// would be counted as the server's (docs/performance.md, "FIN to close").
func BenchmarkFINToClose(b *testing.B) {
	for _, lingerer := range []string{"epoll", "goroutine"} {
		b.Run(lingerer, func(b *testing.B) { finToClose(b, lingerer) })
	}
}

// finHelperEnv makes the test binary serve as TestFINHelper with the
// lingerer it names.
const finHelperEnv = "TEARDOWN_FIN_HELPER"

// fin is when a client sent its FIN, by its address.
type fin struct {
	addr string
	at   int64 // Unix ns: the two processes share the clock
}

func finToClose(b *testing.B, lingerer string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFINHelper$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), finHelperEnv+"="+lingerer)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewReader(stdout)
	addr, err := out.ReadString('\n')
	if err != nil {
		b.Fatalf("FIN helper printed no address: %v", err)
	}
	fins := make([]fin, 0, b.N)
	b.ResetTimer()
	for range b.N {
		c, err := net.Dial("tcp", strings.TrimSpace(addr))
		if err != nil {
			b.Fatal(err)
		}
		c.Write(make([]byte, 16))
		io.Copy(io.Discard, c) // the reply, then EOF: the server's FIN
		fins = append(fins, fin{c.LocalAddr().String(), time.Now().UnixNano()})
		c.Close()
	}
	b.StopTimer()
	stdin.Close() // the helper waits for the last close and reports
	var closed map[string][]int64
	if err := json.NewDecoder(out).Decode(&closed); err != nil {
		b.Fatalf("FIN helper sent no report: %v", err)
	}
	d := finDelays(fins, closed)
	if len(d) != b.N {
		b.Fatalf("%d closes matched to %d FINs", len(d), b.N)
	}
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// finDelays pairs each FIN with the first close after it on the same
// client address (ports are reused within a run) and sorts the delays.
func finDelays(fins []fin, closed map[string][]int64) []time.Duration {
	var d []time.Duration
	for _, f := range fins {
		best := int64(-1)
		for _, at := range closed[f.addr] {
			if at >= f.at && (best < 0 || at < best) {
				best = at
			}
		}
		if best >= 0 {
			d = append(d, time.Duration(best-f.at))
		}
	}
	slices.Sort(d)
	return d
}

// TestFINHelper is the server of BenchmarkFINToClose: it prints its
// address, records when each connection's descriptor is closed, and when
// its stdin closes prints those times as JSON.
func TestFINHelper(t *testing.T) {
	lingerer := os.Getenv(finHelperEnv)
	if lingerer == "" {
		t.Skip("helper process of BenchmarkFINToClose")
	}
	var opts *teardown.Options
	if lingerer == "goroutine" {
		opts = &teardown.Options{Sink: io.Discard} // a Sink forces the fallback
	}
	var mu sync.Mutex
	closed := map[string][]int64{}
	s := &server.Server{Handler: reply(16, 32), CloseOptions: opts, ConnState: func(c net.Conn, st server.ConnState) {
		if st == server.StateClosed {
			at := time.Now().UnixNano()
			mu.Lock()
			k := c.RemoteAddr().String()
			closed[k] = append(closed[k], at)
			mu.Unlock()
		}
	}}
	fmt.Println(serve(t, s))
	io.Copy(io.Discard, os.Stdin)
	waitFor(t, "the last close", func() bool { return s.Stats().Lingering == 0 })
	mu.Lock()
	defer mu.Unlock()
	json.NewEncoder(os.Stdout).Encode(closed)
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
