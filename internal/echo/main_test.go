package echo_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/internal/echo"
	"github.com/tcpteardown/teardown/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the output of this run")

func TestMain(m *testing.M) { testenv.Main(m) }

// wait bounds every blocking step of a test; it is generous because the
// machine is shared and slow, and it is never an assertion about speed.
const wait = 10 * time.Second

// syncBuffer collects the lines a server prints from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls until out contains s, and fails the test after wait.
func waitFor(t *testing.T, out *syncBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(wait); !strings.Contains(out.String(), s); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q after %s; output so far:\n%s", s, wait, out)
		}
	}
}

// server is a running echo.Server; stop cancels it and returns Serve's error.
type server struct {
	*echo.Server
	out    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func startServer(t *testing.T, cfg echo.ServerConfig) *server {
	t.Helper()
	out := &syncBuffer{}
	cfg.Addr = "127.0.0.1:0"
	cfg.Out = out
	srv, err := echo.Listen(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, srv, out)
}

// serve runs srv, which prints to out, until the test stops it or ends.
func serve(t *testing.T, srv *echo.Server, out *syncBuffer) *server {
	t.Helper()
	s := &server{out: out, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.Server, s.cancel = srv, cancel
	go func() { s.done <- srv.Serve(ctx) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the server (if it still runs) and waits for Serve.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	return s.wait(t)
}

// wait waits for Serve to return on its own (Once) and returns its error.
func (s *server) wait(t *testing.T) error {
	t.Helper()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(wait):
		t.Fatalf("server still running after %s; output:\n%s", wait, s.out)
	}
	return nil
}

// runClient connects to addr, feeds it input and returns what it printed.
func runClient(t *testing.T, addr, input string) string {
	t.Helper()
	var out bytes.Buffer
	c, err := echo.Dial(context.Background(), &echo.ClientConfig{Addr: addr, In: strings.NewReader(input), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("client did not finish in %s; output:\n%s", wait, out.String())
	}
	return out.String()
}

// golden compares got with testdata/name.golden (or rewrites it with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// lateReply is the server's "work" in the experiments: the client must
// close or shut down inside this window, which it does microseconds after
// sending; half a second leaves room for a stalled, shared machine.
const lateReply = 500 * time.Millisecond
