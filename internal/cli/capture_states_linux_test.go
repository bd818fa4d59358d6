package cli_test

import (
	"context"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/sockdiag"
)

// listenTCP4 listens on 127.0.0.1:port (0: any) with plain TCP.
func listenTCP4(t *testing.T, port int) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dialAccept connects to l and accepts: the client's end and the
// server's. The client's end is closed when the test ends.
func dialAccept(t *testing.T, l net.Listener) (c, s net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if s, err = l.Accept(); err != nil {
		t.Fatal(err)
	}
	return c, s
}

// exchange makes one connection to l, which it accepts; both ends close
// (client first), so each goes through its whole life.
func exchange(t *testing.T, l net.Listener) (clientPort int) {
	t.Helper()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	io.Copy(io.Discard, s) // until the client's FIN
	s.Close()
	return c.LocalAddr().(*net.TCPAddr).Port
}

// waitForLine waits until out has a line containing all of parts.
func waitForLine(t *testing.T, out *captureBuf, done <-chan error, parts ...string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		for _, l := range splitLines(out.String()) {
			if containsAll(l, parts) {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("capture ended (%v) before a line with %q:\n%s", err, parts, out)
		case <-deadline:
			t.Fatalf("no line with %q after 20 s:\n%s", parts, out)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// waitQueued waits until the listener on port has n connections in its
// accept queue (the kernel completes a handshake in softirq, possibly after
// connect returned).
func waitQueued(t *testing.T, port uint16, n uint32) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		socks, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{port}})
		if err != nil {
			t.Fatal(err)
		}
		s := sockdiag.Summarize(time.Now(), socks)
		if len(s.Listeners) == 1 && s.Listeners[0].Queued >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("accept queue of port %d: %v, want %d queued", port, s.Listeners, n)
		}
		time.Sleep(time.Millisecond) // polling the socket table: there is no event to wait on
	}
}

// A burst the trace buffer cannot hold is reported: closing a listener
// with hundreds of unaccepted connections makes the kernel reset them all
// in one system call, thousands of events in a millisecond, far more than a
// 4 KiB buffer per CPU holds. The summary names the lost events and the
// connections they left incomplete say so.
func TestCaptureStatesReportsLoss(t *testing.T) {
	testenv.RequireRoot(t)
	const conns = 400
	l := listenTCP4(t, 0)
	port := l.Addr().(*net.TCPAddr).Port
	sentinel := listenTCP4(t, 0)
	defer sentinel.Close()
	sp := strconv.Itoa(sentinel.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, done := startCapture(t, ctx, "-port", strconv.Itoa(port), "-port", sp, "-states", "-states-buffer", "4")
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp4", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	waitQueued(t, uint16(port), conns)
	l.Close() // the burst: every queued connection is reset at once
	// A connection after the burst: once its lines are out, the tracer has
	// read past the burst (trace_pipe reads the oldest event first).
	cp := exchange(t, sentinel)
	waitForLine(t, stdout, done, "."+strconv.Itoa(cp)+" ", "FIN-WAIT-1")
	cancel()
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture -states: %v; stderr: %s", err, stderr)
	}
	m := regexp.MustCompile(`(?m)^(\d+) state events lost by the kernel`).FindStringSubmatch(stderr.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("summary does not report the lost state events:\n%s", stderr)
	}
	if !regexp.MustCompile(`(?m)^\d+ sockets with incomplete states`).MatchString(stderr.String()) {
		t.Errorf("summary does not count the incomplete sockets:\n%s", stderr)
	}
	t.Logf("summary:\n%s", stderr)
	if !strings.Contains(stdout.String(), "lost") {
		t.Errorf("no line says which connection lost its states:\n%s", stdout)
	}
}

// Tracepoints fire for every network namespace; a capture of the host's
// ports shows only the host's sockets. A server and client in a private
// namespace on the captured port leave no state line (and are counted);
// the host's own connection on another captured port shows as usual.
// The "host" is a namespace of the test's own (capture -netns), so that no
// other socket can take the private namespace's port there: a capture
// rightly shows a socket of its namespace that has the captured port (in a
// soak, one of the tests' namespace once had it).
func TestCaptureStatesOtherNetNS(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	hostNS, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer hostNS.Close()
	var host net.Listener
	if err := hostNS.Do(func() error { host = listenTCP4(t, 0); return nil }); err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	hp := strconv.Itoa(host.Addr().(*net.TCPAddr).Port)
	var inner net.Listener
	err = ns.Do(func() error {
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		var err error
		inner, err = lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ip := strconv.Itoa(inner.Addr().(*net.TCPAddr).Port)
	inner.Close() // the namespace's own listener is opened again under capture
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hostPath := "/proc/self/fd/" + strconv.Itoa(int(hostNS.Handle()))
	stdout, stderr, done := startCapture(t, ctx, "-netns", hostPath, "-port", ip, "-port", hp, "-states")
	var nsClient int
	err = ns.Do(func() error {
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:"+ip)
		if err != nil {
			return err
		}
		defer l.Close()
		nsClient = exchange(t, l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var hc int
	if err := hostNS.Do(func() error { hc = exchange(t, host); return nil }); err != nil {
		t.Fatal(err)
	}
	waitForLine(t, stdout, done, "."+strconv.Itoa(hc)+" ", "FIN-WAIT-1")
	cancel()
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture -states: %v; stderr: %s", err, stderr)
	}
	for _, line := range splitLines(stdout.String()) {
		if strings.Contains(line, "."+ip+" ") || strings.Contains(line, "."+strconv.Itoa(nsClient)+" ") {
			t.Errorf("a line of the namespace's connection (port %s, client %d) in the host's capture: %s", ip, nsClient, line)
		}
	}
	if !regexp.MustCompile(`(?m)^[1-9]\d* state events not shown: their sockets are not in this network namespace`).MatchString(stderr.String()) {
		t.Errorf("summary does not count the other namespace's events:\n%s", stderr)
	}
}

// capture -netns captures inside another namespace, packets and states:
// the namespace's connection is seen there.
func TestCaptureNetNS(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var l net.Listener
	err = ns.Do(func() (err error) {
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		l, err = lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	path := "/proc/self/fd/" + strconv.Itoa(int(ns.Handle()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, done := startCapture(t, ctx, "-netns", path, "-port", port, "-states")
	var client int
	if err := ns.Do(func() error { client = exchange(t, l); return nil }); err != nil {
		t.Fatal(err)
	}
	waitForLine(t, stdout, done, "."+strconv.Itoa(client)+" ", "FIN-WAIT-2 → TIME-WAIT")
	cancel()
	if err := waitDone(t, done); err != nil {
		t.Fatalf("capture -netns: %v; stderr: %s", err, stderr)
	}
	c := "." + strconv.Itoa(client) + " "
	for _, want := range [][]string{{c, "Flags [S]"}, {c, "ESTABLISHED → FIN-WAIT-1"}} {
		if !slices.ContainsFunc(splitLines(stdout.String()), func(l string) bool { return containsAll(l, want) }) {
			t.Errorf("no line with %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stderr.String(), "not shown") {
		t.Errorf("the namespace's own events were hidden:\n%s", stderr)
	}
}
