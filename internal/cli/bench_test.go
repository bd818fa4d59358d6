package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/cli"
)

// Bad usage of `teardown bench`: exit 2, one line that says what to do, and
// no server started.
func TestBenchUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown workload", args: []string{"bench", "-workloads", "churn,storm"}, want: `unknown workload "storm"`},
		{name: "unknown server", args: []string{"bench", "-servers", "nginx"}, want: `unknown server "nginx"`},
		{name: "zero duration", args: []string{"bench", "-duration", "0s"}, want: "must be positive"},
		{name: "server without addr", args: []string{"bench", "server"}, want: "-addr is required"},
		{name: "server bad close", args: []string{"bench", "server", "-addr", "127.0.0.1:0", "-close", "linger"}, want: `unknown -close "linger"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := cli.Run(context.Background(), &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, tt.args)
			if cli.Code(err) != 2 || !strings.Contains(cli.OneLine(err), tt.want) {
				t.Errorf("got exit %d, %v; want exit 2 and %q", cli.Code(err), err, tt.want)
			}
		})
	}
}

// `teardown bench server` serves the churn protocol until Ctrl-C (ctx), and
// then prints what it did.
func TestBenchServer(t *testing.T) {
	for _, close := range []string{"teardown", "graceful", "plain", "sleep500"} {
		t.Run(close, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			env := &cli.Env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard}
			errc := make(chan error, 1)
			go func() {
				errc <- cli.Run(ctx, env, []string{"bench", "server", "-addr", "127.0.0.1:0", "-close", close})
				pw.Close()
			}()
			out := bufio.NewScanner(pr)
			if !out.Scan() {
				t.Fatalf("no output: %v", <-errc)
			}
			addr := strings.TrimPrefix(out.Text(), "listening ")
			got := churnOnce(t, addr)
			if got != 32 {
				t.Errorf("reply of %d bytes, want 32", got)
			}
			cancel()
			out.Scan()
			if err := <-errc; err != nil || !strings.HasPrefix(out.Text(), "accepted 1,") {
				t.Errorf("after Ctrl-C: %v, %q; want nil and a summary", err, out.Text())
			}
			io.Copy(io.Discard, pr)
		})
	}
}

func churnOnce(t *testing.T, addr string) int {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(make([]byte, 16))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.Copy(io.Discard, c)
	return int(n)
}
