package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"syscall"
)

// Snapshot is what a server process says about itself when asked "stats".
type Snapshot struct {
	Accepted   uint64  `json:"accepted"`
	Closed     uint64  `json:"closed"`
	CPUMicros  int64   `json:"cpu_us"`  // user + system, getrusage(RUSAGE_SELF)
	RSSKiB     int64   `json:"rss_kib"` // resident set, after a GC that returns memory to the OS
	GoKiB      int64   `json:"go_kib"`  // Go heap + goroutine stacks in use
	Goroutines int     `json:"goroutines"`
	Threads    int64   `json:"threads"`      // OS threads (Linux)
	AllocKiB   int64   `json:"alloc_kib"`    // allocated since the start, garbage included (TotalAlloc)
	CloseP50   float64 `json:"close_p50_us"` // handler return → descriptor closed
	CloseP99   float64 `json:"close_p99_us"`
	Aborted    int     `json:"aborted,omitempty"` // reply to "shutdown"
	Err        string  `json:"err,omitempty"`
}

// RunServer runs the server side of the protocol until ctx ends. With
// control, it reads commands on in, one a line, and answers each with one
// JSON line on out: "stats" (a Snapshot), "shutdown DURATION" (Shutdown with
// that bound; the Snapshot's Aborted); EOF on in stops the server. The first
// line on out is "listening ADDR".
func RunServer(ctx context.Context, cfg *ServerConfig, in io.Reader, out io.Writer, control bool) error {
	t, addr, err := start(cfg)
	if err != nil {
		return err
	}
	defer t.close()
	fmt.Fprintf(out, "listening %s\n", addr)
	if !control {
		<-ctx.Done()
		s := snapshot(t)
		fmt.Fprintf(out, "accepted %d, closed %d, cpu %d µs, close p50 %.0f µs p99 %.0f µs\n",
			s.Accepted, s.Closed, s.CPUMicros, s.CloseP50, s.CloseP99)
		return nil
	}
	return commands(ctx, t, in, out)
}

func commands(ctx context.Context, t target, in io.Reader, out io.Writer) error {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	enc := json.NewEncoder(out)
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if err := enc.Encode(command(t, line)); err != nil {
				return err // the parent stopped reading: it has gone
			}
		}
	}
}

func command(t target, line string) Snapshot {
	verb, d, err := ParseCommand(line)
	switch {
	case err != nil:
		return Snapshot{Err: err.Error()}
	case verb == "stats":
		return snapshot(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n, err := t.shutdown(ctx)
	s := snapshot(t)
	s.Aborted = n
	if err != nil {
		s.Err = err.Error()
	}
	return s
}

// snapshot measures the process. The GC first makes RSS count live memory,
// not garbage not yet collected, for every server alike.
func snapshot(t target) Snapshot {
	runtime.GC()
	debug.FreeOSMemory()
	accepted, closed, h := t.counts()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // RUSAGE_SELF of a live process cannot fail
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Snapshot{
		Accepted: accepted, Closed: closed,
		CPUMicros:  (ru.Utime.Nano() + ru.Stime.Nano()) / 1e3,
		RSSKiB:     rssKiB(),
		GoKiB:      int64(ms.HeapInuse+ms.StackInuse) / 1024,
		Goroutines: runtime.NumGoroutine(),
		Threads:    threads(),
		AllocKiB:   int64(ms.TotalAlloc / 1024),
		CloseP50:   float64(h.Quantile(0.5)) / 1e3,
		CloseP99:   float64(h.Quantile(0.99)) / 1e3,
	}
}
