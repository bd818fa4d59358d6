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

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `teardown serve args...` until it returns; it waits for
// the listening line so that a client can connect.
func startServe(t *testing.T, args ...string) (stdout *lockedBuffer, done <-chan error) {
	t.Helper()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr}
	ch := make(chan error, 1)
	go func() { ch <- cli.Run(context.Background(), env, append([]string{"serve"}, args...)) }()
	for deadline := time.Now().Add(echoWait); !strings.Contains(stderr.String(), "listening on"); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-ch:
			t.Fatalf("serve ended before listening: %v; stderr: %s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not listening after %s; stderr: %s", echoWait, stderr)
		}
	}
	return stdout, ch
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
			addr := freeAddr(t)
			serverOut, done := startServe(t, "-addr", addr, "-delay", "500ms", "-once")
			out, _, err := runCmd([]string{"client", "-addr", addr, "-close-wait", "50ms"}, tt.stdin)
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve -once: %v", err)
				}
			case <-time.After(echoWait):
				t.Fatalf("serve -once still running after %s", echoWait)
			}
			if diff := cmp.Diff(tt.wantClient, splitLines(out)); diff != "" {
				t.Errorf("client output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantServer, splitLines(serverOut.String())); diff != "" {
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
	free := freeAddr(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // the line main prints after "teardown: "
	}{
		{"serve bad flag", []string{"serve", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{"serve negative delay", []string{"serve", "-delay", "-1s"}, 2, "serve: -delay -1s is negative"},
		{"serve once and concurrent", []string{"serve", "-once", "-concurrent"}, 2, "serve: -once and -concurrent exclude each other"},
		{"serve extra argument", []string{"serve", "9527"}, 2, `serve: unexpected argument "9527" (see teardown serve -h)`},
		{"serve port in use", []string{"serve", "-addr", busy.Addr().String()}, 1,
			"serve: listen " + busy.Addr().String() + ": address already in use — is another `teardown serve` running? Stop it or pick another -addr"},
		{"client bad flag", []string{"client", "-close-wait", "soon"}, 2, `invalid value "soon" for flag -close-wait: parse error`},
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
