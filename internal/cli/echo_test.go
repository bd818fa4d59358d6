package cli_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/internal/cli"
)

// echoWait bounds each step; generous for a shared 2-core machine. The
// server delay of 500ms is the window in which the client must close or
// shut down (it does so microseconds after sending).
const echoWait = 10 * time.Second

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// closedAddr returns a loopback address nobody listens on: a port the
// kernel picked and that is closed again (a connect there is refused).
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// served is a running `teardown serve`.
type served struct {
	addr   string        // where it listens
	stdout *lockedBuffer // the seed's lines
	done   chan error    // Run's result; closed once read
	stop   context.CancelFunc
}

// startServe runs `teardown serve -addr 127.0.0.1:0 args...` and waits for
// its listening line, which names the port the kernel chose. (A port found
// free beforehand and passed to -addr could be taken in between by any
// connection on the machine: it lies in the ephemeral range.)
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- cli.Run(ctx, env, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)) }()
	s := &served{stdout: stdout, done: ch, stop: cancel}
	t.Cleanup(func() { s.wait(t, true) })
	const prefix = "listening on "
	for deadline := time.Now().Add(echoWait); !strings.Contains(stderr.String(), prefix); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-ch:
			t.Fatalf("serve ended before listening: %v; stderr: %s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not listening after %s; stderr: %s", echoWait, stderr)
		}
	}
	s.addr = strings.Fields(stderr.String()[strings.Index(stderr.String(), prefix)+len(prefix):])[0]
	return s
}

// wait waits for serve to return (after stopping it, with stop) and
// returns its error.
func (s *served) wait(t *testing.T, stop bool) error {
	t.Helper()
	if stop {
		s.stop()
	}
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(echoWait):
		t.Fatalf("serve still running after %s", echoWait)
	}
	return nil
}

func runCmd(args []string, stdin string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut}
	ctx, cancel := context.WithTimeout(context.Background(), echoWait)
	defer cancel()
	err = cli.Run(ctx, env, args)
	return out.String(), errOut.String(), err
}

func splitLines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// TestServeClientExperiments runs seed 003's experiments A and B through
// the two commands, as a user does in two terminals.
func TestServeClientExperiments(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		wantClient []string
		wantServer []string
	}{
		{
			name:       "A: aaa then close",
			stdin:      "aaa\nclose\n",
			wantClient: []string{"now sending aaa", "send bytes: 3"}, // no "Hi, aaa": it was answered with RST
			// Linux: the late write succeeds, and the next read finds the
			// client's FIN before the RST: EOF, not "connection reset".
			wantServer: []string{"received 3 bytes: aaa", "send bytes: 7", "client closed"},
		},
		{
			name:       "B: aaa then shutdown",
			stdin:      "aaa\nshutdown\n",
			wantClient: []string{"now sending aaa", "send bytes: 3", "Hi, aaa", "server terminated"},
			wantServer: []string{"received 3 bytes: aaa", "send bytes: 7", "client closed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServe(t, "-delay", "500ms", "-once")
			out, _, err := runCmd([]string{"client", "-addr", srv.addr, "-close-wait", "50ms"}, tt.stdin)
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			if err := srv.wait(t, false); err != nil {
				t.Fatalf("serve -once: %v", err)
			}
			if diff := cmp.Diff(tt.wantClient, splitLines(out)); diff != "" {
				t.Errorf("client output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantServer, splitLines(srv.stdout.String())); diff != "" {
				t.Errorf("server output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServeClientErrors: bad input ends with one clear line and the right
// exit code (2 for usage, 1 otherwise).
func TestServeClientErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free := closedAddr(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // the line main prints after "teardown: "
	}{
		{"serve bad flag", []string{"serve", "-bogus"}, 2, "flag provided but not defined: -bogus (see teardown serve -h)"},
		{"serve negative delay", []string{"serve", "-delay", "-1s"}, 2, "serve: -delay -1s is negative"},
		{"serve once and concurrent", []string{"serve", "-once", "-concurrent"}, 2, "serve: -once and -concurrent exclude each other"},
		{"serve extra argument", []string{"serve", "9527"}, 2, `serve: unexpected argument "9527" (see teardown serve -h)`},
		{"serve port in use", []string{"serve", "-addr", busy.Addr().String()}, 1,
			"serve: listen " + busy.Addr().String() + ": address already in use — is another `teardown serve` running? Stop it or pick another -addr"},
		{"client bad flag", []string{"client", "-close-wait", "soon"}, 2, `invalid value "soon" for flag -close-wait: parse error (see teardown client -h)`},
		{"client bad stdin-eof", []string{"client", "-stdin-eof", "later"}, 2, `client: -stdin-eof: want close, shutdown or wait, got "later"`},
		{"client extra argument", []string{"client", "127.0.0.1:9527"}, 2, `client: unexpected argument "127.0.0.1:9527" (see teardown client -h)`},
		{"client refused", []string{"client", "-addr", free}, 1,
			"client: connect " + free + ": connection refused — is `teardown serve` running?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(tt.args, "")
			if got := cli.Code(err); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d (err %v)", got, tt.wantCode, err)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.wantErr, cli.OneLine(err)); diff != "" {
				t.Errorf("error line (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClientStdinEOF: what `teardown client` does when its input ends
// without close or shutdown, for each -stdin-eof.
func TestClientStdinEOF(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantClient []string
		wantNote   string // on stderr
	}{
		{
			name: "close: experiment A",
			args: []string{"-stdin-eof", "close"},
			// The late reply meets a closed socket: RST, never printed.
			wantClient: []string{"now sending aaa", "send bytes: 3"},
			wantNote:   "teardown client: input ended: close\n",
		},
		{
			name:       "shutdown: experiment B",
			args:       []string{"-stdin-eof", "shutdown"},
			wantClient: []string{"now sending aaa", "send bytes: 3", "Hi, aaa", "server terminated"},
			wantNote:   "teardown client: input ended: shutdown wr; waiting for the server to close\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServe(t, "-delay", "200ms", "-once")
			args := append([]string{"client", "-addr", srv.addr, "-close-wait", "0s"}, tt.args...)
			out, errOut, err := runCmd(args, "aaa\n")
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			if diff := cmp.Diff(tt.wantClient, splitLines(out)); diff != "" {
				t.Errorf("client output (-want +got):\n%s", diff)
			}
			if !strings.HasSuffix(errOut, tt.wantNote) {
				t.Errorf("stderr %q does not end with %q", errOut, tt.wantNote)
			}
		})
	}
}

// TestClientStdinEOFWait: by default the client, like the seed's, keeps the
// connection open after its input ends and says so; it ends when the
// server closes.
func TestClientStdinEOFWait(t *testing.T) {
	srv := startServe(t, "-delay", "0s")
	var stdout, stderr lockedBuffer
	env := &cli.Env{Stdin: strings.NewReader("help\n"), Stdout: &stdout, Stderr: &stderr}
	done := make(chan error, 1)
	go func() { done <- cli.Run(context.Background(), env, []string{"client", "-addr", srv.addr}) }()
	const note = "input ended without close or shutdown: waiting for the server"
	for deadline := time.Now().Add(echoWait); !strings.Contains(stderr.String(), note); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no note after %s; stderr: %s", echoWait, stderr.String())
		}
	}
	select {
	case err := <-done:
		t.Fatalf("client returned (%v) before the server closed", err)
	default:
	}
	if err := srv.wait(t, true); err != nil { // Ctrl-C on the server closes the connection
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(echoWait):
		t.Fatalf("client still running %s after the server stopped", echoWait)
	}
	if got := splitLines(stdout.String()); got[len(got)-1] != "server terminated" || !strings.HasPrefix(got[0], "any other line") {
		t.Errorf("client output: want the help, then server terminated; got\n%s", stdout.String())
	}
}
