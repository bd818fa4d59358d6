package cli_test

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
)

// TestCaptureExplainLive: a live capture -explain prints a connection's
// verdict while it runs, once the connection has ended: here a server that
// closes with SO_LINGER 0, which sends RST instead of FIN (claim C17): an
// abort by the server. At exit (Ctrl-C) come the counts per ending, and
// the -w file has the packets (teardown explain reads the same abort).
func TestCaptureExplainLive(t *testing.T) {
	testenv.RequireRoot(t)
	l := listenTCP4(t, 0)
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	file := filepath.Join(t.TempDir(), "abort.pcap")
	stdout, stderr, done := startCapture(t, ctx, "-port", port, "-explain", "-w", file)
	c, s := dialAccept(t, l)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	s.(*net.TCPConn).SetLinger(0)
	s.Close() // RST
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("client read no error after the server's RST")
	}
	client := c.LocalAddr().String()
	// The line comes while the capture runs: waitForLine fails if it ended.
	waitForLine(t, stdout, done, "#1  "+client+" → 127.0.0.1:"+port+"  abort  closer server")
	if strings.Contains(stdout.String(), "Flags [") {
		t.Errorf("-explain printed packet lines:\n%s", stdout)
	}
	cancel()
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture -explain: %v; stderr: %s", err, stderr)
	}
	if !regexp.MustCompile(`(?m)^lo port ` + port + `: \d+ packets \(live\), 1 TCP connection\n  1 abort$`).MatchString(stdout.String()) {
		t.Errorf("no summary of endings at exit:\n%s", stdout)
	}
	out, err := runExplain(t, nil, file)
	if err != nil || !strings.Contains(out, client+" → 127.0.0.1:"+port+"  abort  closer server") {
		t.Errorf("explain of the -w file: %v\n%s", err, out)
	}
}

// TestCaptureExplainOpenAtExit: a connection still open at Ctrl-C gets its
// line at exit, with each side's state; -print shows the packets too.
func TestCaptureExplainOpenAtExit(t *testing.T) {
	testenv.RequireRoot(t)
	l := listenTCP4(t, 0)
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	file := filepath.Join(t.TempDir(), "open.pcap")
	stdout, stderr, done := startCapture(t, ctx, "-port", port, "-explain", "-w", file, "-print")
	c, s := dialAccept(t, l)
	defer s.Close()
	c.Write([]byte("x"))
	if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// The server's ACK of "x" printed: the capture has every packet (a
	// packet still in the kernel's ring at Ctrl-C is not read).
	client := strconv.Itoa(c.LocalAddr().(*net.TCPAddr).Port)
	waitForLine(t, stdout, done, "127.0.0.1."+port+" > 127.0.0.1."+client+":", "ack 2,")
	cancel()
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture -explain: %v; stderr: %s", err, stderr)
	}
	want := "#1  127.0.0.1:" + client + " → 127.0.0.1:" + port + "  open (client ESTABLISHED, server ESTABLISHED)"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("no line %q at exit:\n%s", want, stdout)
	}
	if !regexp.MustCompile(`(?m)^lo port ` + port + `: \d+ packets \(live\), 1 TCP connection\n  1 open$`).MatchString(stdout.String()) {
		t.Errorf("no summary of endings at exit:\n%s", stdout)
	}
}
