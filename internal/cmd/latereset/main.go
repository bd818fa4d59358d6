// Command latereset counts the resets a clean close can still produce: many
// close-after-read exchanges on loopback (the server writes 16 bytes, the
// client reads them and closes, the server reads EOF and closes), with every
// RST the kernel sends for them traced with its reason (tcp:tcp_send_reset).
//
// No close in the exchange sends a reset. Yet on a machine whose two CPUs
// process loopback segments in parallel a few do appear after the clean
// end: the passive closer's ACK of the first FIN leaves after its own FIN,
// the TIME-WAIT side answers it with a duplicate ACK, and that ACK finds the
// passive closer's socket gone — its listener answers with a bare [R]
// (reason TCP_FLAGS). docs/performance.md ("Late resets") has the figures.
//
// Run it as root in a namespace of its own (its TIME-WAIT sockets stay 60 s):
//
//	unshare -n sh -c 'ip link set lo up && go run ./internal/cmd/latereset -n 40000'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown/trace"
)

func main() {
	n := flag.Int("n", 20000, "exchanges (at most 200000)")
	par := flag.Int("p", 16, "exchanges at the same time (1..256)")
	limit := flag.Duration("t", time.Minute, "stop after this long")
	flag.Parse()
	if *n < 1 || *n > 200000 || *par < 1 || *par > 256 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "latereset: usage: latereset [-n 1..200000] [-p 1..256] [-t D]")
		os.Exit(2)
	}
	// Ctrl-C ends the run like its time limit: the tracer removes its
	// tracefs instance on the way out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	r, err := run(ctx, *n, *par, *limit)
	interrupted := ctx.Err() != nil
	stop()
	switch {
	case errors.Is(err, fs.ErrPermission):
		fmt.Fprintln(os.Stderr, "latereset:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "latereset:", err)
		os.Exit(1)
	}
	report(r)
	if interrupted {
		os.Exit(130) // the figures above are of a partial run
	}
}

// result is what a run saw: exchanges completed and failed, and the resets
// sent, counted by "from STATE, reason REASON".
type result struct {
	done, failed int64
	took         time.Duration
	resets       map[string]int
}

func run(parent context.Context, n, par int, limit time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(parent, limit)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	tr, err := trace.Start(ctx, &trace.Config{Ports: []uint16{port}})
	if err != nil {
		return result{}, err
	}
	resets := collect(tr)
	go serve(ln)
	start := time.Now()
	var r result
	r.done, r.failed = exchanges(ctx, ln.Addr().String(), n, par)
	r.took = time.Since(start)
	time.Sleep(500 * time.Millisecond) // the last exchanges' final segments
	err = tr.Close()
	r.resets = <-resets
	return r, err
}

// serve is the exchange's server: write 16 bytes, read to EOF, close.
func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if _, err := c.Write(make([]byte, 16)); err == nil {
				_, _ = io.Copy(io.Discard, c)
			}
		}()
	}
}

// exchanges runs the clients: read the 16 bytes, close. Each uses its own
// source address in 127.0.0.0/8 so that TIME-WAIT sockets never run out
// of ports.
func exchanges(ctx context.Context, addr string, n, par int) (done, failed int64) {
	var next, ok, bad atomic.Int64
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n) && ctx.Err() == nil; i = next.Add(1) {
				src := &net.TCPAddr{IP: net.IPv4(127, 1+byte(i/250/250), byte(i/250%250), 1+byte(i%250))}
				if exchange(ctx, src, addr) != nil {
					bad.Add(1)
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return ok.Load(), bad.Load()
}

func exchange(ctx context.Context, src *net.TCPAddr, addr string) error {
	d := net.Dialer{LocalAddr: src}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = io.ReadFull(c, make([]byte, 16))
	return err
}

// collect counts the traced resets by sender state and reason until the
// tracer's channel closes.
func collect(tr *trace.Tracer) <-chan map[string]int {
	out := make(chan map[string]int, 1)
	go func() {
		m := map[string]int{}
		for t := range tr.Events() {
			if t.Kind == trace.ResetSent {
				m[fmt.Sprintf("from %s, reason %s", t.From, t.Reason)]++
			}
		}
		out <- m
	}()
	return out
}

func report(r result) {
	done, failed, resets := r.done, r.failed, r.resets
	fmt.Printf("%d exchanges in %v (%d failed)\n", done, r.took.Round(time.Millisecond), failed)
	if len(resets) == 0 {
		fmt.Println("no reset sent")
		return
	}
	keys := make([]string, 0, len(resets))
	total := 0
	for k, v := range resets {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%6d resets %s\n", resets[k], k)
	}
	fmt.Printf("%6d in all: %.3f%% of the exchanges\n", total, 100*float64(total)/float64(max(done, 1)))
	if failed > 0 {
		fmt.Println(errors.New("some exchanges failed: their resets may be part of the count"))
	}
}
