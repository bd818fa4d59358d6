package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// -w FILE writes instead of printing (as tcpdump); the pcapng names the
// real interface and snap length and ends with the kernel's counters. The
// smallest ring (-B 1024: 8 blocks) is enough for it.
func TestCaptureWritePcapng(t *testing.T) {
	testenv.RequireRoot(t)
	port := captureServer(t)
	file := filepath.Join(t.TempDir(), "c.pcapng")
	stdout, stderr, done := startCapture(t, context.Background(), "-port", port, "-c", "4", "-B", "1024", "-w", file)
	captureClient(t, port)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture: %v; stderr: %s", err, stderr)
	}
	if stdout.String() != "" {
		t.Errorf("-w printed packets: %q", stdout)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		if _, _, err := r.ReadPacketData(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
	}
	intf, err := r.Interface(0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || intf.Name != "lo" || intf.SnapLength != 262144 {
		t.Errorf("%d packets on interface %q snaplen %d, want 4 on lo, 262144", n, intf.Name, intf.SnapLength)
	}
	if intf.Statistics.PacketsReceived < 4 || intf.Statistics.PacketsDropped != 0 {
		t.Errorf("statistics block: %+v, want ≥ 4 received, 0 dropped", intf.Statistics)
	}
}

// -w - writes a pcap to stdout, for `teardown capture -w - | tcpdump -r -`.
func TestCaptureWriteStdout(t *testing.T) {
	testenv.RequireRoot(t)
	port := captureServer(t)
	stdout, stderr, done := startCapture(t, context.Background(), "-port", port, "-c", "4", "-w", "-")
	captureClient(t, port)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture: %v; stderr: %s", err, stderr)
	}
	r, err := pcapgo.NewReader(strings.NewReader(stdout.String()))
	if err != nil {
		t.Fatalf("stdout is no pcap: %v", err)
	}
	n := 0
	for ; ; n++ {
		if _, _, err := r.ReadPacketData(); err != nil {
			break
		}
	}
	if n != 4 {
		t.Errorf("%d packets on stdout, want 4", n)
	}
}

// Buffered -w still reaches the file within about a second while the
// capture runs (a reader of a live file, or a crash, loses at most that).
func TestCaptureWriteFlushesEverySecond(t *testing.T) {
	testenv.RequireRoot(t)
	port := captureServer(t)
	file := filepath.Join(t.TempDir(), "c.pcap")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := startCapture(t, ctx, "-port", port, "-w", file)
	captureClient(t, port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.Stat(file)
		if err == nil && st.Size() > 24 { // more than the file header
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no packet in the file after 10 s")
		}
		time.Sleep(20 * time.Millisecond) // a file has no event to wait on
	}
	cancel()
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture: %v; stderr: %s", err, stderr)
	}
}

// -w never follows a symbolic link (root would write through it).
func TestCaptureWriteRefusesSymlink(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "c.pcap")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	err := cli.Run(context.Background(), env, []string{"capture", "-port", "1", "-w", link})
	if cli.Code(err) != 1 || !strings.Contains(cli.OneLine(err), "symbolic link") {
		t.Errorf("err = %v (exit %d), want exit 1 about the symbolic link", err, cli.Code(err))
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// A tcpdump-style expression instead of -port: compiled to the kernel
// filter without libpcap.
func TestCaptureExpression(t *testing.T) {
	testenv.RequireRoot(t)
	port := captureServer(t)
	stdout, stderr, done := startCapture(t, context.Background(), "-n", "-c", "4", "tcp", "and", "(", "dst", "port", port, "or", "src", "port", port, ")")
	captureClient(t, port)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture: %v; stderr: %s", err, stderr)
	}
	lines := splitLines(stdout.String())
	if len(lines) != 4 || !strings.Contains(lines[0], "."+port+": Flags [S]") {
		t.Errorf("want the 4 first segments, SYN first:\n%s", stdout)
	}
}

// -r prints a file as the live capture printed it, filtered the same way.
func TestCaptureReadFile(t *testing.T) {
	testenv.RequireRoot(t)
	for _, name := range []string{"c.pcap", "c.pcapng"} {
		port := captureServer(t) // one connection each
		file := filepath.Join(t.TempDir(), name)
		live, stderr, done := startCapture(t, context.Background(), "-port", port, "-c", "4", "-w", file, "-print")
		captureClient(t, port)
		if err := waitDone(t, done); err != nil {
			t.Fatalf("capture: %v; stderr: %s", err, stderr)
		}
		var out, errb bytes.Buffer
		env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
		if err := cli.Run(context.Background(), env, []string{"capture", "-r", file}); err != nil {
			t.Fatalf("-r %s: %v\n%s", name, err, errb.String())
		}
		if out.String() != live.String() {
			t.Errorf("-r %s printed\n%s\nthe live capture printed\n%s", name, out.String(), live)
		}
		out.Reset()
		if err := cli.Run(context.Background(), env, []string{"capture", "-r", file, "dst", "port", port}); err != nil {
			t.Fatal(err)
		}
		if n := len(splitLines(out.String())); n != 3 { // SYN, ACK and the request toward the server
			t.Errorf("-r %s dst port %s: %d lines, want 3:\n%s", name, port, n, out.String())
		}
	}
}

// -i any captures on every interface; a loopback segment then shows twice
// (leaving and arriving), as with tcpdump -i any.
func TestCaptureAnyInterface(t *testing.T) {
	testenv.RequireRoot(t)
	port := captureServer(t)
	stdout, stderr, done := startCapture(t, context.Background(), "-i", "any", "-port", port, "-c", "2")
	captureClient(t, port)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture: %v; stderr: %s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "listening on any") {
		t.Errorf("stderr: %s", stderr)
	}
	if f := flagsOf(splitLines(stdout.String())); len(f) != 2 || f[0] != "[S]" || f[1] != "[S]" {
		t.Errorf("want the SYN twice:\n%s", stdout)
	}
}
