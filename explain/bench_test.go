package explain_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	rt "github.com/tcpteardown/teardown/record/recordtest"
)

// benchPackets is the size of the benchmark's capture; benchRate the new
// connections per second of capture time (each lives ~9 ms): a busy HTTP
// server's worth, and what decides how many finished connections are
// lingering at once (record.DefaultLinger).
const (
	benchPackets = 1_000_000
	benchRate    = 2000
)

// BenchmarkExplain1M compares `teardown explain FILE` with
// `tcpdump -nn -r FILE > /dev/null` on the same generated capture of
// 100,000 short connections (1,000,000 packets), in the same run, and
// reports both times, their ratio and explain's peak memory (max RSS).
// Run: go test -run XXX -bench Explain1M -benchtime 1x ./explain/
func BenchmarkExplain1M(b *testing.B) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		b.Skip("tcpdump is not installed: it is the yardstick")
	}
	dir := b.TempDir()
	// EXPLAIN_BENCH_FILE keeps the generated capture for other tools (and
	// reuses it when it exists).
	file := os.Getenv("EXPLAIN_BENCH_FILE")
	if file == "" {
		file = filepath.Join(dir, "short.pcap")
	}
	if _, err := os.Stat(file); err != nil {
		writeShortConns(b, file)
	}
	bin := filepath.Join(dir, "teardown")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/teardown").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	b.ResetTimer()
	var ex, td, tdS run
	for b.Loop() {
		ex = runMeasured(b, bin, "explain", file)
		td = runMeasured(b, tcpdump, "-nn", "-r", file)
		// tcpdump keeps every connection's ISNs, for relative numbers, in
		// a chained hash table of 919 buckets that it never prunes
		// (TSEQ_HASHSIZE in its print-tcp.c): with 100,000 connections
		// each lookup walks a long chain. -S (absolute numbers) skips the
		// table: the stricter yardstick.
		tdS = runMeasured(b, tcpdump, "-nn", "-S", "-r", file)
	}
	b.ReportMetric(tdS.cpu.Seconds(), "tcpdump-S-cpu-s")
	b.ReportMetric(ex.cpu.Seconds()/tdS.cpu.Seconds(), "explain/tcpdump-S-cpu")
	// Wall time and CPU time (user + system): on a shared machine the
	// second is the steadier comparison.
	b.ReportMetric(ex.wall.Seconds(), "explain-s")
	b.ReportMetric(td.wall.Seconds(), "tcpdump-s")
	b.ReportMetric(ex.wall.Seconds()/td.wall.Seconds(), "explain/tcpdump")
	b.ReportMetric(ex.cpu.Seconds(), "explain-cpu-s")
	b.ReportMetric(td.cpu.Seconds(), "tcpdump-cpu-s")
	b.ReportMetric(ex.cpu.Seconds()/td.cpu.Seconds(), "explain/tcpdump-cpu")
	b.ReportMetric(float64(ex.maxRSS)/(1<<20), "explain-MiB")
	b.ReportMetric(float64(td.maxRSS)/(1<<20), "tcpdump-MiB")
}

type run struct {
	wall   time.Duration
	cpu    time.Duration
	maxRSS int64 // bytes
}

// runMeasured runs a command with stdout to /dev/null and returns its wall
// time and peak resident memory.
func runMeasured(b *testing.B, name string, args ...string) run {
	cmd := exec.Command(name, args...)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = null, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v %s", name, err, stderr.String())
	}
	r := run{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r
}

// writeShortConns writes benchPackets packets: HTTP-like connections of 10
// packets each (handshake, request, ACK, response, ACK, FIN, FIN, ACK),
// starting 1/benchRate s apart and overlapping, from ever-new client
// ports.
func writeShortConns(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := capture.NewWriter(bw, false)
	if err != nil {
		b.Fatal(err)
	}
	pending := make([]capture.Segment, 0, 64) // segments of overlapping connections, in time order
	n := 0
	for i := 0; n < benchPackets; i++ {
		start := rt.Epoch.Add(time.Duration(i) * time.Second / benchRate)
		pending = flushBefore(b, w, pending, start, &n)
		pending = merge(pending, shortConn(i, start))
	}
	flushBefore(b, w, pending, rt.Epoch.Add(1000*time.Hour), &n)
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
}

func shortConn(i int, start time.Time) []capture.Segment {
	// Every ephemeral port in turn (Linux's 32768–60999), then the next
	// client address.
	const ports = 60999 - 32768 + 1
	client := fmt.Sprintf("10.%d.%d.%d:%d", 1+i/ports/250/250%200, i/ports/250%250, 1+i/ports%250, 32768+i%ports)
	c := rt.New(client, "10.255.0.1:80").Handshake().Data(0, "GET / HTTP/1.1\r\n\r\n").Ack(1).
		Data(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").Ack(0).Fin(1).Fin(0).Ack(1)
	off := start.Sub(rt.Epoch)
	for k := range c.Segs {
		c.Segs[k].Time = c.Segs[k].Time.Add(off)
	}
	return c.Segs
}

// merge inserts segs (in time order) into pending (in time order).
func merge(pending, segs []capture.Segment) []capture.Segment {
	out := make([]capture.Segment, 0, len(pending)+len(segs))
	i, j := 0, 0
	for i < len(pending) || j < len(segs) {
		if j == len(segs) || (i < len(pending) && !segs[j].Time.Before(pending[i].Time)) {
			out = append(out, pending[i])
			i++
		} else {
			out = append(out, segs[j])
			j++
		}
	}
	return out
}

// flushBefore writes the pending segments stamped before t.
func flushBefore(b *testing.B, w *capture.Writer, pending []capture.Segment, t time.Time, n *int) []capture.Segment {
	k := 0
	for ; k < len(pending) && pending[k].Time.Before(t) && *n < benchPackets; k++ {
		s := pending[k]
		s.Raw = rt.Frame(s)
		if err := w.Write(s); err != nil {
			b.Fatal(err)
		}
		*n++
	}
	return append(pending[:0], pending[k:]...)
}
