package echo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/internal/echo"
)

// TestServerSessions checks how the server sequences its clients: one after
// another by default (and Ctrl-C reports the messages), -once stops after
// the first.
func TestServerSessions(t *testing.T) {
	tests := []struct {
		name    string
		once    bool
		clients []string // one input per client, run one after another
		want    []string // the server's lines
	}{
		{
			name:    "two clients one after another, then Ctrl-C",
			clients: []string{"aaa\nshutdown\n", "bbb\nshutdown\n"},
			want: []string{
				"received 3 bytes: aaa", "send bytes: 7", "client closed",
				"received 3 bytes: bbb", "send bytes: 7", "client closed",
				"received 2 datagrams",
			},
		},
		{
			name:    "once",
			once:    true,
			clients: []string{"aaa\nshutdown\n"},
			want:    []string{"received 3 bytes: aaa", "send bytes: 7", "client closed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, echo.ServerConfig{Once: tt.once})
			addr := srv.Addr().String()
			for _, in := range tt.clients {
				runClient(t, addr, in)
			}
			if tt.once {
				if err := srv.wait(t); err != nil {
					t.Fatalf("Serve: %v", err)
				}
				assertRefused(t, addr) // the listener is gone
			} else if err := srv.stop(t); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if diff := cmp.Diff(tt.want, lines(srv.out.String())); diff != "" {
				t.Errorf("server output (-want +got):\n%s", diff)
			}
		})
	}
}

func assertRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s after a -once server ended: connected, want connection refused", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
}

// TestServerConcurrent shows that a concurrent server answers a second
// client while the first is still connected; a sequential one would leave
// the second waiting until the first leaves, and this test would time out.
func TestServerConcurrent(t *testing.T) {
	srv := startServer(t, echo.ServerConfig{Concurrent: true})
	addr := srv.Addr().String()
	pr, pw := io.Pipe()
	first, err := echo.Dial(context.Background(), &echo.ClientConfig{Addr: addr, In: pr})
	if err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Run(context.Background()) }()

	got := runClient(t, addr, "bbb\nshutdown\n") // while the first client is connected
	want := []string{"now sending bbb", "send bytes: 3", "Hi, bbb", "server terminated"}
	if diff := cmp.Diff(want, lines(got)); diff != "" {
		t.Errorf("second client's output (-want +got):\n%s", diff)
	}
	fmt.Fprintln(pw, "close")
	pw.Close()
	if err := <-firstDone; err != nil {
		t.Errorf("first client: %v", err)
	}
}

// TestServerAbortedByClient: the client's `abort` sends RST, and the
// server's blocked read reports it in the kernel's words.
func TestServerAbortedByClient(t *testing.T) {
	srv := startServer(t, echo.ServerConfig{Once: true})
	runClient(t, srv.Addr().String(), "abort\n")
	if err := srv.wait(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	want := []string{"error read: connection reset by peer"}
	if diff := cmp.Diff(want, lines(srv.out.String())); diff != "" {
		t.Errorf("server output (-want +got):\n%s", diff)
	}
}

// TestServerCancelWhileServing: Ctrl-C during a session (even during the
// delay) ends Serve promptly with the seed's summary line.
func TestServerCancelWhileServing(t *testing.T) {
	srv := startServer(t, echo.ServerConfig{Delay: time.Hour})
	pr, pw := io.Pipe()
	defer pw.Close()
	c, err := echo.Dial(context.Background(), &echo.ClientConfig{Addr: srv.Addr().String(), In: pr})
	if err != nil {
		t.Fatal(err)
	}
	clientDone := make(chan error, 1)
	go func() { clientDone <- c.Run(context.Background()) }()
	fmt.Fprintln(pw, "aaa")
	waitFor(t, srv.out, "received 3 bytes: aaa")
	if err := srv.stop(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	want := []string{"received 3 bytes: aaa", "received 1 datagrams"}
	if diff := cmp.Diff(want, lines(srv.out.String())); diff != "" {
		t.Errorf("server output (-want +got):\n%s", diff)
	}
	if err := <-clientDone; err != nil { // the server's close ends the client too
		t.Errorf("client: %v", err)
	}
}

func TestListenAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	srv, err := echo.Listen(context.Background(), &echo.ServerConfig{Addr: addr})
	if err == nil {
		srv.Close()
		t.Fatalf("Listen %s while another socket listens there: no error", addr)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen: %v, want it to wrap EADDRINUSE", err)
	}
	want := "serve: listen " + addr + ": address already in use — is another `teardown serve` running? Stop it or pick another -addr"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error line (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans several lines: %q", err)
	}
}

// TestSecondWriteAfterClientClose extends experiment A: the client sends a
// second message before closing. The first late write provokes the RST, the
// queued "bbb" can still be read, and the second write fails with EPIPE
// ("broken pipe") instead of killing the server with SIGPIPE (C05).
func TestSecondWriteAfterClientClose(t *testing.T) {
	srv := startServer(t, echo.ServerConfig{Delay: lateReply, Once: true})
	pr, pw := io.Pipe()
	defer pw.Close()
	c, err := echo.Dial(context.Background(), &echo.ClientConfig{Addr: srv.Addr().String(), In: pr})
	if err != nil {
		t.Fatal(err)
	}
	clientDone := make(chan error, 1)
	go func() { clientDone <- c.Run(context.Background()) }()
	fmt.Fprintln(pw, "aaa")
	waitFor(t, srv.out, "received 3 bytes: aaa") // so that "bbb" is a read of its own
	fmt.Fprint(pw, "bbb\nclose\n")
	if err := <-clientDone; err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := srv.wait(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	want := []string{"received 3 bytes: aaa", "send bytes: 7", "received 3 bytes: bbb", "error write: broken pipe"}
	if diff := cmp.Diff(want, lines(srv.out.String())); diff != "" {
		t.Errorf("server output (-want +got):\n%s", diff)
	}
}

// On a terminal the user's ^C is echoed without a newline: the Ctrl-C
// summary starts on a line of its own, as the seed's does; piped output
// has no blank line.
func TestServerCtrlCSummaryLine(t *testing.T) {
	for _, tt := range []struct {
		terminal bool
		want     string
	}{
		{terminal: true, want: "\nreceived 0 datagrams\n"},
		{terminal: false, want: "received 0 datagrams\n"},
	} {
		t.Run(fmt.Sprintf("terminal=%v", tt.terminal), func(t *testing.T) {
			srv := startServer(t, echo.ServerConfig{Terminal: tt.terminal})
			if err := srv.stop(t); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if diff := cmp.Diff(tt.want, srv.out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}
