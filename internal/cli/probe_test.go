package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/server"
)

// runProbe runs `teardown probe args...` and returns stdout, stderr and
// the exit code.
func runProbe(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	err := cli.Run(context.Background(), env, append([]string{"probe"}, args...))
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), cli.Code(err)
}

func TestProbeUsage(t *testing.T) {
	tests := []struct {
		name, want string
		args       []string
	}{
		{"no target", "name one HOST:PORT", nil},
		{"two targets", "name one HOST:PORT", []string{"127.0.0.1:1", "127.0.0.1:2"}},
		{"http and send", "exclude", []string{"-http", "-send", "x", "127.0.0.1:1"}},
		{"max-wait", "-max-wait", []string{"-max-wait", "0s", "127.0.0.1:1"}},
		{"expect-close alone", "give -send", []string{"-expect-close", "127.0.0.1:1"}},
		{"raw without an end", "-reply-size N or -expect-close", []string{"-send", `x\n`, "127.0.0.1:1"}},
		{"bad escape", "bad escape", []string{"-send", `\q`, "-expect-close", "127.0.0.1:1"}},
		{"header injection", "CR, LF", []string{"-header", "X: a\r\nY: b", "127.0.0.1:1"}},
		{"unknown check", "unknown check", []string{"-only", "pipelined-close,nope", "127.0.0.1:1"}},
		{"bad path", "absolute path", []string{"-path", "index.html", "127.0.0.1:1"}},
		{"no port", "HOST:PORT", []string{"localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runProbe(t, tt.args...)
			if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}

// listenLoop opens a plain-TCP loopback listener closed at the test's end.
func listenLoop(t *testing.T) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serveWith accepts until the test ends and runs fn on each connection.
func serveWith(t *testing.T, fn func(net.Conn)) string {
	l := listenLoop(t)
	srv := &server.Server{Handler: server.HandlerFunc(func(_ context.Context, c net.Conn) { fn(c) })}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

// Each way a probe cannot start gives one line and exit 1, within the max
// wait.
func TestProbeCannotStart(t *testing.T) {
	silent := listenLoop(t)
	testenv.ServeUntilEOF(t, silent)
	ssh := serveWith(t, func(c net.Conn) { c.Write([]byte("SSH-2.0-teardown_test\r\n")) })
	tests := []struct{ name, addr, want string }{
		{"refused", closedAddr(t), "connection refused"},
		{"never answers", silent.Addr().String(), "sent nothing within 300ms"},
		{"not http", ssh, "does not speak HTTP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runProbe(t, "-http", "-max-wait", "300ms", tt.addr)
			if code != cli.ExitFailure || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") > 0 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", code, out, stderr, tt.want)
			}
		})
	}
}

// startHTTP serves Go's net/http in-process: / is small, /large 300 KiB.
func startHTTP(t *testing.T) string {
	l := listenLoop(t)
	large := strings.Repeat("x", 300<<10)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := "hi\n"
		if r.URL.Path == "/large" {
			b = large
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write([]byte(b))
	})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

// The JSON contract of issue 15 (docs/json-schema.md), and exit 1 when a
// check fails: net/http resets its reply under a padded pipelined request.
func TestProbeJSON(t *testing.T) {
	out, stderr, code := runProbe(t, "-json", "-max-wait", "2s", "-large", "/large", "-only", "close-after-reply,pipelined-close", startHTTP(t))
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1 (pipelined-close fails); stderr %s", code, stderr)
	}
	var rep struct {
		Target string
		Checks []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if len(rep.Checks) != 2 || rep.Target == "" {
		t.Fatalf("report %s", out)
	}
	for _, c := range rep.Checks {
		for _, k := range []string{"name", "verdict", "evidence", "bytes_expected", "bytes_received", "rst"} {
			if _, ok := c[k]; !ok {
				t.Errorf("check %v has no %q", c["name"], k)
			}
		}
	}
	if v := rep.Checks[1]["verdict"]; rep.Checks[1]["name"] != "pipelined-close" || v != "fail" || rep.Checks[1]["rst"] != true {
		t.Errorf("pipelined-close: %v", rep.Checks[1])
	}
}

// A raw protocol: a line in, "Hi, LINE" out, then the server's close (this
// module's server, which lingers). Lines are printed as checks end.
func TestProbeRaw(t *testing.T) {
	addr := serveWith(t, func(c net.Conn) {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil {
			c.Write([]byte("Hi, " + line))
		}
	})
	out, stderr, code := runProbe(t, "-send", `ping\n`, "-expect-close", "-max-wait", "1s",
		"-only", "close-after-reply,pipelined-close,early-response,client-half-close", addr)
	if code != cli.ExitOK {
		t.Fatalf("exit %d; stdout %s stderr %s", code, out, stderr)
	}
	for _, want := range []string{"ok    close-after-reply", "ok    pipelined-close", "n/a   early-response", "ok    client-half-close", "3 ok, 0 risk, 0 fail, 1 n/a"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// -v draws the sequence diagram from the probe's own packets (root).
func TestProbeVerbose(t *testing.T) {
	testenv.RequireRoot(t)
	out, stderr, code := runProbe(t, "-v", "-max-wait", "1s", "-only", "close-after-reply", startHTTP(t))
	if code != cli.ExitOK {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	for _, want := range []string{"[S]", "[F.]", "read() = EOF", "client", "server"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the diagram:\n%s", want, out)
		}
	}
}

// firstLine signals once something was written: the first check's line.
type firstLine struct {
	lockedBuffer
	once sync.Once
	seen chan struct{}
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.once.Do(func() { close(f.seen) })
	return f.lockedBuffer.Write(p)
}

// Ctrl-C stops a probe in the middle of its waits, at once, with exit 130
// and nothing left behind (TestMain checks goroutines and descriptors).
func TestProbeInterrupted(t *testing.T) {
	addr := startHTTP(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &firstLine{seen: make(chan struct{})}
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard}
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- cli.Run(ctx, env, []string{"probe", "-max-wait", "30s", "-large", "/large", addr}) }()
	<-out.seen // the battery runs: idle waits for the max wait
	cancel()
	err := <-errc
	if code := cli.Code(err); code != cli.ExitInterrupted {
		t.Errorf("exit %d (%v), want 130", code, err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the interrupted probe took %s: it waited for the 30 s max wait", d)
	}
}

// TestProbeHTML: -html writes the report card as a page with a section per
// check, labelled with its verdict; as root the sections draw the packets
// the probe captured, among them the server's reset of pipelined-close.
func TestProbeHTML(t *testing.T) {
	page := t.TempDir() + "/probe.html"
	_, stderr, code := runProbe(t, "-html", page, "-max-wait", "2s", "-large", "/large", "-only", "close-after-reply,pipelined-close", startHTTP(t))
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1 (pipelined-close fails); stderr %s", code, stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{`<section id="close-after-reply"`, `<section id="pipelined-close"`, `badge fail">fail`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	testenv.RequireRoot(t)
	if !strings.Contains(html, `class="packet`) || !strings.Contains(html, "[R") {
		t.Errorf("as root the page should draw the captured packets, the reset among them")
	}
}
