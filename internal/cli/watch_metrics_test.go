//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// promtool returns the path of Debian's promtool (package prometheus). It
// skips without it, but FAILS under CI=true: CI must install it.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if testenv.InCI() {
		t.Fatal("promtool not found: CI must install it (apt-get install -y prometheus)")
	}
	t.Skip("promtool not found (apt-get install -y prometheus)")
	return ""
}

// lockedBuf is a buffer written by the command while the test reads it.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// watch -listen serves the table as Prometheus metrics; promtool accepts
// the exposition, and the CLOSE-WAIT leak shows as its gauges.
func TestWatchMetrics(t *testing.T) {
	tool := promtool(t)
	// In a namespace of its own: the clients' orphaned FIN-WAIT-2 sockets
	// live in the TIME-WAIT table, and the host's fills up when other tests
	// churn connections (an overflowing table keeps no orphan at all).
	testenv.RequireRoot(t)
	ns, err := netns.New()
	testenv.RequirePermitted(t, err)
	defer ns.Close()
	var port string
	if err := ns.Do(func() error { port = closeWaitLeak(t, 2); return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuf{}
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr}
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(ctx, env, []string{"watch", "-netns", ns.Path(), "-port", port, "-interval", "50ms", "-closewait-age", "100ms", "-listen", "127.0.0.1:0"})
	}()
	url := waitMetricsURL(t, stderr, done)
	body := scrapeUntil(t, url, `teardown_alarm{kind="close-wait-old"} 1`)
	for _, want := range []string{`teardown_sockets{port="` + port + `",state="CLOSE-WAIT"} 2`,
		`teardown_accept_queue_backlog{local="127.0.0.1:` + port + `"}`, "teardown_close_wait_oldest_seconds", "teardown_orphan_sockets 2"} { // orphans: the clients, closed, in FIN-WAIT-2
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	check := exec.Command(tool, "check", "metrics")
	check.Stdin = strings.NewReader(body)
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch -listen: %v", err)
	}
}

func waitMetricsURL(t *testing.T, stderr *lockedBuf, done <-chan error) string {
	t.Helper()
	re := regexp.MustCompile(`serving metrics on (http://\S+/metrics)`)
	deadline := time.After(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("watch ended: %v\n%s", err, stderr)
		case <-deadline:
			t.Fatalf("no metrics address after 10 s:\n%s", stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// scrapeUntil scrapes url until the body contains want (at most 20 s).
func scrapeUntil(t *testing.T, url, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), want) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in 20 s:\n%s", want, b)
		}
		time.Sleep(20 * time.Millisecond) // the next sample is due every 50 ms; nothing to wait on
	}
}

// The alert rule that docs/watch.md shows is valid for promtool.
func TestWatchDocsAlertRule(t *testing.T) {
	tool := promtool(t)
	doc, err := os.ReadFile("../../docs/watch.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	var rules string
	for _, b := range blocks {
		if strings.Contains(b[1], "groups:") {
			rules = b[1]
		}
	}
	if rules == "" {
		t.Fatal("docs/watch.md has no rule group")
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
