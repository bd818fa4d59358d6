package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/sockdiag"
)

// watchListener listens on a free loopback port and serves each connection
// by reading to EOF and closing, so clients that close first end in
// TIME-WAIT. Everything is closed when the test ends.
func watchListener(t *testing.T) (net.Listener, string) {
	t.Helper()
	l := freshListener(t)
	testenv.ServeUntilEOF(t, l)
	return l, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// freshListener listens on a loopback port that no other row mentions: a
// free port can still be the remote port of TIME-WAIT sockets left by
// earlier runs, which would be counted with the test's own.
func freshListener(t *testing.T) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	for range 20 {
		l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := uint16(l.Addr().(*net.TCPAddr).Port)
		socks, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{p}})
		if err == nil && len(socks) == 1 {
			return l
		}
		l.Close()
	}
	t.Fatal("no loopback port without leftover sockets in 20 tries")
	return nil
}

// ssCounts counts the rows of `ss -tanH` per state for the port, in
// teardown's spelling (ss abbreviates ESTABLISHED to ESTAB).
func ssCounts(t *testing.T, port string) map[string]int {
	t.Helper()
	out, err := exec.Command("ss", "-tanH", "state", "all", "( sport = :"+port+" or dport = :"+port+" )").CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v\n%s", err, out)
	}
	m := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			m[strings.Replace(f[0], "ESTAB", "ESTABLISHED", 1)]++
		}
	}
	return m
}

type watchJSON struct {
	Port   int            `json:"port"`
	Ports  []int          `json:"ports"`
	Counts map[string]int `json:"counts"`
	Alarms []struct{ Kind, Message string }
}

func runWatch(t *testing.T, args ...string) (watchJSON, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	if err := cli.Run(context.Background(), env, append([]string{"watch"}, args...)); err != nil {
		t.Fatalf("watch %v: %v\n%s", args, err, errb.String())
	}
	var j watchJSON
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatalf("watch -json printed %q: %v", out.String(), err)
	}
	return j, out.String()
}

// TestWatchOnceJSONMatchesSS is the acceptance test of issue 3: after 200
// connections closed by the client, `watch -once -json` counts what ss
// counts for the port (1 LISTEN, 200 TIME-WAIT once the churn settles).
func TestWatchOnceJSONMatchesSS(t *testing.T) {
	const n = 200
	l, port := watchListener(t)
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Write([]byte("x"))
		c.Close()
	}
	settled := map[string]int{"LISTEN": 1, "TIME-WAIT": n}
	var got watchJSON
	var raw string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if got, raw = runWatch(t, "-port", port, "-once", "-json"); gocmp.Equal(settled, got.Counts) {
			break
		}
	}
	if diff := gocmp.Diff(ssCounts(t, port), got.Counts); diff != "" {
		t.Errorf("watch counts differ from ss -tan (-ss +watch):\n%s\n%s", diff, raw)
	}
	if p, _ := strconv.Atoi(port); got.Port != p || len(got.Ports) != 1 || got.Ports[0] != p {
		t.Errorf("port %d ports %v, want %s", got.Port, got.Ports, port)
	}
	if strings.Count(raw, "\n") != 1 {
		t.Errorf("-once -json printed %d lines, want exactly one:\n%s", strings.Count(raw, "\n"), raw)
	}
}

// TestWatchSeveralPorts: "ports" lists them all and "port" is left out.
func TestWatchSeveralPorts(t *testing.T) {
	_, p1 := watchListener(t)
	_, p2 := watchListener(t)
	got, raw := runWatch(t, "-port", p1, "-port", p2, "-port", p1, "-once", "-json")
	a, _ := strconv.Atoi(p1)
	b, _ := strconv.Atoi(p2)
	if diff := gocmp.Diff([]int{a, b}, got.Ports); diff != "" || strings.Contains(raw, `"port":`) {
		t.Errorf("ports (-want +got):\n%s\n%s", diff, raw)
	}
	if got.Counts["LISTEN"] != 2 {
		t.Errorf("counts %v, want 2 LISTEN", got.Counts)
	}
}

func TestWatchUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"bad state", []string{"-state", "CLOSED-WAIT"}, "not a TCP state"},
		{"bad destination", []string{"-dst", "example.com"}, "not an address"},
		{"zero close-wait age", []string{"-closewait-age", "0s"}, "-closewait-age must be positive"},
		{"listen with once", []string{"-listen", "127.0.0.1:0", "-once"}, "cannot go with -once"},
		{"port not a number", []string{"-port", "http"}, "not a TCP port"},
		{"port zero", []string{"-port", "0"}, "not a TCP port"},
		{"port too big", []string{"-port", "65536"}, "not a TCP port"},
		{"stray argument", []string{"-port", "80", "9527"}, "unexpected argument"},
		{"zero interval", []string{"-port", "80", "-interval", "0s"}, "-interval must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
			err := cli.Run(context.Background(), env, append([]string{"watch"}, tt.args...))
			if cli.Code(err) != 2 || !strings.Contains(cli.OneLine(err), tt.says) {
				t.Errorf("err = %v (exit %d), want exit 2 saying %q", err, cli.Code(err), tt.says)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q on stdout for bad usage", out.String())
			}
		})
	}
}

// cancelAfter is a stdout that cancels the command's context once it has
// seen n snapshots, like a user pressing Ctrl-C.
type cancelAfter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	marker string
	cancel context.CancelFunc
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Count(w.buf.String(), w.marker) >= w.n {
		w.cancel()
	}
	return len(p), nil
}

// TestWatchUntilCancelled: without -once the table is printed every
// interval until Ctrl-C, which ends the command without error. On a
// terminal each snapshot redraws the previous one in place.
func TestWatchUntilCancelled(t *testing.T) {
	_, port := watchListener(t)
	tests := []struct {
		name   string
		args   []string
		tty    bool
		marker string
		check  func(t *testing.T, out string)
	}{
		{"plain lines", nil, false, "port " + port, func(t *testing.T, out string) {
			if strings.Contains(out, "\x1b[") {
				t.Errorf("escape sequences without a terminal:\n%q", out)
			}
		}},
		{"terminal redraws in place", nil, true, "port " + port, func(t *testing.T, out string) {
			// each block is 2 lines (headline + listener): up 2, clear.
			if !strings.Contains(out, "\x1b[2A\x1b[J") {
				t.Errorf("no in-place redraw:\n%q", out)
			}
		}},
		{"json lines", []string{"-json"}, true, `"ports"`, func(t *testing.T, out string) {
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("not one JSON object per line: %q", line)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			w := &cancelAfter{n: 3, marker: tt.marker, cancel: cancel}
			env := &cli.Env{Stdin: strings.NewReader(""), Stdout: w, Stderr: io.Discard, TTY: tt.tty}
			args := append([]string{"watch", "-port", port, "-interval", "20ms"}, tt.args...)
			if err := cli.Run(ctx, env, args); err != nil {
				t.Fatalf("watch ended with %v, want nil on Ctrl-C", err)
			}
			if ctx.Err() != context.Canceled {
				t.Fatalf("watch returned before Ctrl-C (ctx: %v)", ctx.Err())
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			tt.check(t, w.buf.String())
		})
	}
}
