package echo_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/internal/echo"
)

// TestClientCommands runs the client's commands beyond plain text against
// a live server and compares the lines the client prints. Lines with
// figures (rtt, durations) are normalised by norm.
func TestClientCommands(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{
			name:  "state of a fresh connection",
			input: "state\nclose\n",
			want:  []string{"ESTABLISHED unacked 0 unsent 0 readable 0 rtt <d> retrans 0"},
		},
		{
			name:  "unknown command, then keep going",
			input: "shutdown sideways\nlinger soon\nclose\n",
			want: []string{
				`unknown command "shutdown sideways": shutdown takes rd, wr or rdwr (help lists the commands)`,
				`unknown command "linger soon": linger takes whole seconds 0..3600 or off (help lists the commands)`,
			},
		},
		{
			name:  "linger then close reports how long close blocked",
			input: "linger 2\nclose\n",
			want: []string{
				"linger 2s: close will wait up to 2s for the peer to acknowledge everything",
				"close returned after <d>",
			},
		},
		{
			name:  "linger off",
			input: "linger off\nclose\n",
			want:  []string{"linger off: close returns at once, the kernel sends the rest and FIN"},
		},
		{
			name:  "shutdown rd: our own EOF, not the server's",
			input: "shutdown rd\n",
			want:  []string{"read EOF: we shut down reading (shutdown rd)"},
		},
		{
			name:  "help",
			input: "help\nclose\n",
			want:  lines(echo.Help),
		},
		{
			name:  "abort prints nothing",
			input: "abort\n",
			want:  []string{""},
		},
	}
	srv := startServer(t, echo.ServerConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lines(runClient(t, srv.Addr().String(), tt.input))
			for i := range got {
				got[i] = norm(got[i])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("client output (-want +got):\n%s", diff)
			}
		})
	}
}

var figures = regexp.MustCompile(`(rtt|after) [0-9.]+(ms|µs|s)`)

func norm(line string) string { return figures.ReplaceAllString(line, "$1 <d>") }

func TestClientConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: the kernel answers the SYN with RST
	c, err := echo.Dial(context.Background(), &echo.ClientConfig{Addr: addr})
	if err == nil {
		c.Close()
		t.Fatalf("Dial %s with no listener: no error", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Dial: %v, want it to wrap ECONNREFUSED", err)
	}
	want := "client: connect " + addr + ": connection refused — is `teardown serve` running?"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error line (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans several lines: %q", err)
	}
}
