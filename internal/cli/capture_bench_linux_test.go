package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
)

// The burst of issue 11: 5,000 connections, 50 at once, each a request, a
// reply and a close by the server (as nginx with Connection: close), on
// loopback, recorded at the same time by tcpdump and by teardown capture.
// Run as root with tcpdump installed:
//
//	go test -run '^$' -bench CaptureBurst -benchtime 1x ./internal/cli/
//
// It prints the figures of docs/performance.md: packet drops of both, the
// state events teardown lost, and CPU per packet of both.
const (
	burstConns   = 5000
	burstAtOnce  = 50
	burstTimeout = 2 * time.Minute
)

func BenchmarkCaptureBurstStates(b *testing.B) {
	benchBurst(b, []string{"-states"}, []string{"-w", "/dev/null"})
}

// BenchmarkCaptureBurstWrite: capture -w against tcpdump -w, with the
// same kernel buffer (-B 4096, 4 MiB, for both: the kernel zeroes it at
// start-up, a cost that grows with it). The -states and -explain runs keep
// capture's default 16 MiB: their reader does far more per packet.
func BenchmarkCaptureBurstWrite(b *testing.B) {
	dir := b.TempDir()
	benchBurst(b, []string{"-B", "4096", "-w", filepath.Join(dir, "teardown.pcap")}, []string{"-w", filepath.Join(dir, "tcpdump.pcap")})
}

// BenchmarkCaptureBurstExplain: capture -explain (every segment into a
// record.Builder, a diagnosis per connection) against tcpdump printing
// its lines (to /dev/null).
func BenchmarkCaptureBurstExplain(b *testing.B) {
	benchBurst(b, []string{"-explain"}, nil)
}

func benchBurst(b *testing.B, ours, theirs []string) {
	testenv.RequireRoot(b)
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		b.Skip("tcpdump not installed (apt-get install -y tcpdump)")
	}
	bin := buildTeardown(b)
	for range b.N {
		port := burstServer(b)
		p := strconv.Itoa(port)
		td := startTool(b, bin, append([]string{"capture", "-port", p}, ours...)...)
		dump := startTool(b, tcpdump, append([]string{"-i", "lo", "-n", "-B", "4096"}, append(theirs, "tcp", "port", p)...)...)
		start := time.Now()
		burst(b, port)
		elapsed := time.Since(start)
		tdOut, tdCPU := td.stop(b)
		dumpOut, dumpCPU := dump.stop(b)
		tdPk, tdDrop := summaryCounts(b, tdOut)
		dumpPk, dumpDrop := summaryCounts(b, dumpOut)
		lost := -1
		if m := regexp.MustCompile(`(\d+) state events lost`).FindStringSubmatch(tdOut); m != nil {
			lost, _ = strconv.Atoi(m[1])
		}
		b.ReportMetric(float64(tdDrop), "teardown-drops")
		b.ReportMetric(float64(dumpDrop), "tcpdump-drops")
		b.ReportMetric(float64(lost), "states-lost")
		b.ReportMetric(float64(tdCPU.Microseconds())*1000/float64(max(tdPk, 1)), "teardown-cpu-ns/pkt")
		b.ReportMetric(float64(dumpCPU.Microseconds())*1000/float64(max(dumpPk, 1)), "tcpdump-cpu-ns/pkt")
		b.ReportMetric(float64(tdCPU)/float64(dumpCPU)*float64(dumpPk)/float64(max(tdPk, 1)), "cpu-ratio")
		b.Logf("burst of %d connections in %v: teardown %d packets, %d dropped, %d state events lost, CPU %v; "+
			"tcpdump %d packets, %d dropped, CPU %v", burstConns, elapsed.Round(time.Millisecond), tdPk, tdDrop, lost,
			tdCPU.Round(time.Millisecond), dumpPk, dumpDrop, dumpCPU.Round(time.Millisecond))
	}
}

func buildTeardown(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "teardown")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tcpteardown/teardown/cmd/teardown").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// burstServer answers each connection's request and closes first, until
// the benchmark ends.
func burstServer(b *testing.B) int {
	b.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.Read(make([]byte, 512))
				io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			})
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// burst makes burstConns connections, burstAtOnce at a time.
func burst(b *testing.B, port int) {
	b.Helper()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(burstTimeout)
	for range burstAtOnce {
		wg.Go(func() {
			for next.Add(1) <= burstConns && time.Now().Before(deadline) {
				if err := oneRequest(port); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d requests failed", n, burstConns)
	}
}

func oneRequest(port int) error {
	c, err := net.DialTimeout("tcp4", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, c)
	return err
}

type tool struct {
	cmd    *exec.Cmd
	stderr *lockedBuf
}

// startTool starts a capture program and waits for its "listening on".
func startTool(b *testing.B, path string, args ...string) *tool {
	b.Helper()
	t := &tool{cmd: exec.Command(path, args...), stderr: &lockedBuf{}}
	t.cmd.Stdout = io.Discard
	pr, pw := io.Pipe()
	t.cmd.Stderr = pw
	if err := t.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			fmt.Fprintln(t.stderr, sc.Text())
			if strings.Contains(sc.Text(), "listening on") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	b.Cleanup(func() { t.cmd.Process.Kill(); t.cmd.Wait(); pw.Close() })
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		b.Fatalf("%s not listening after 30 s: %s", path, t.stderr)
	}
	return t
}

// stop interrupts the program (Ctrl-C) and returns its stderr and its CPU
// time (user + system).
func (t *tool) stop(b *testing.B) (string, time.Duration) {
	b.Helper()
	// Let both drain what the kernel already queued for them.
	time.Sleep(500 * time.Millisecond)
	t.cmd.Process.Signal(os.Interrupt)
	if err := t.cmd.Wait(); err != nil {
		b.Fatalf("%s: %v\n%s", t.cmd.Path, err, t.stderr)
	}
	t.cmd.Stderr.(*io.PipeWriter).Close()
	ru := t.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for i := 0; i < 100 && !strings.Contains(t.stderr.String(), "dropped by kernel"); i++ {
		time.Sleep(10 * time.Millisecond) // the scanner copies the last lines
	}
	return t.stderr.String(), cpu
}

func summaryCounts(b *testing.B, out string) (packets, drops int) {
	b.Helper()
	m1 := regexp.MustCompile(`(\d+) packets captured`).FindStringSubmatch(out)
	m2 := regexp.MustCompile(`(\d+) packets dropped by kernel`).FindStringSubmatch(out)
	if m1 == nil || m2 == nil {
		b.Fatalf("no summary in:\n%s", out)
	}
	packets, _ = strconv.Atoi(m1[1])
	drops, _ = strconv.Atoi(m2[1])
	return packets, drops
}
