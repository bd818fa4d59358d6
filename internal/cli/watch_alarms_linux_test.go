package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

type alarmJSON struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Warning bool   `json:"warning"`
}

type watchFull struct {
	Counts  map[string]int `json:"counts"`
	Alarms  []alarmJSON    `json:"alarms"`
	Oldest  float64        `json:"oldest_close_wait_seconds"`
	Sockets []struct {
		State  string            `json:"state"`
		Owners []sockdiag.Owner  `json:"owners"`
		Age    float64           `json:"age_seconds"`
		Extra  map[string]string `json:"-"`
	} `json:"sockets"`
}

func findAlarm(alarms []alarmJSON, kind string) (alarmJSON, bool) {
	for _, a := range alarms {
		if a.Kind == kind {
			return a, true
		}
	}
	return alarmJSON{}, false
}

// watchOnce runs watch -once -json with args and decodes its object.
func watchOnce(t *testing.T, args ...string) (watchFull, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	if err := cli.Run(context.Background(), env, append([]string{"watch", "-once", "-json"}, args...)); err != nil {
		t.Fatalf("watch %v: %v\n%s", args, err, errb.String())
	}
	var j watchFull
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatalf("watch -json printed %q: %v", out.String(), err)
	}
	return j, out.String()
}

// waitTimeWaits waits until the namespace has n TIME-WAIT sockets on port.
func waitTimeWaits(t *testing.T, nsfd int, port uint16, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		socks, err := sockdiag.List(sockdiag.Filter{NetNS: nsfd, Ports: []uint16{port}, States: []tcpstate.State{tcpstate.TimeWait}})
		if err != nil {
			t.Fatal(err)
		}
		if len(socks) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d TIME-WAIT sockets on port %d after 20 s, want %d", len(socks), port, n)
		}
		time.Sleep(2 * time.Millisecond) // polling the socket table: there is no event to wait on
	}
}

// closeFirst makes n connections to l; serverFirst chooses who closes
// first and so who keeps the TIME-WAIT. Runs inside the namespace.
func closeFirst(l net.Listener, n int, serverFirst bool) error {
	for i := range n {
		var d net.Dialer
		if serverFirst {
			// A SYN from the same client end would take over the
			// server's TIME-WAIT (RFC 1122 §4.2.2.13, Linux accepts it):
			// each client gets its own address, so each TIME-WAIT stays.
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(i+1))}
		}
		c, err := d.Dial("tcp4", l.Addr().String())
		if err != nil {
			return err
		}
		s, err := l.Accept()
		if err != nil {
			c.Close()
			return err
		}
		first, second := c, s
		if serverFirst {
			first, second = s, c
		}
		first.Close()
		io.Copy(io.Discard, second) // until the FIN
		second.Close()
	}
	return nil
}

// TIME-WAIT exhaustion counts only sockets whose local port came from the
// ephemeral range, per peer. In a namespace whose range is 100 ports, 90
// TIME-WAITs kept by a server on port 9000 (below the range) compete for no
// port: no alarm (the old count of all TIME-WAITs raised a false one). 90
// kept by clients toward port 9001 hold 90 % of the range toward that
// peer: alarm.
func TestWatchTimeWaitAlarm(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if err := ns.SetSysctl("net/ipv4/ip_local_port_range", "40000 40099"); err != nil {
		t.Fatal(err)
	}
	const n = 90
	path := fmt.Sprintf("/proc/self/fd/%d", ns.Handle())
	err = ns.Do(func() error {
		for _, port := range []int{9000, 9001} {
			var lc net.ListenConfig
			lc.SetMultipathTCP(false)
			l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				return err
			}
			err = closeFirst(l, n, port == 9000)
			l.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitTimeWaits(t, int(ns.Handle()), 9000, n)
	waitTimeWaits(t, int(ns.Handle()), 9001, n)
	server, raw := watchOnce(t, "-netns", path, "-port", "9000")
	if server.Counts["TIME-WAIT"] != n {
		t.Errorf("port 9000: %d TIME-WAIT, want %d\n%s", server.Counts["TIME-WAIT"], n, raw)
	}
	if a, ok := findAlarm(server.Alarms, "time-wait-ports"); ok {
		t.Errorf("server-side TIME-WAITs raised %q", a.Message)
	}
	client, raw := watchOnce(t, "-netns", path, "-port", "9001")
	a, ok := findAlarm(client.Alarms, "time-wait-ports")
	if !ok || !strings.Contains(a.Message, "90 TIME-WAIT sockets toward 127.0.0.1:9001") || !strings.Contains(a.Message, "100 ephemeral ports") {
		t.Errorf("client-side TIME-WAITs: alarm %+v, want 90 toward 127.0.0.1:9001 of 100 ports\n%s", a, raw)
	}
}

// closeWaitLeak leaves k server sockets in CLOSE-WAIT: their clients closed
// and the server never does, until the test ends.
func closeWaitLeak(t *testing.T, k int) (port string) {
	t.Helper()
	l := freshListener(t)
	t.Cleanup(func() { l.Close() })
	for range k {
		c, err := net.Dial("tcp4", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		c.Close()
		s.Read(make([]byte, 1)) // returns at the client's FIN: the socket is in CLOSE-WAIT
	}
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// A standing CLOSE-WAIT leak does not grow, it stays: watch raises it by
// age (older than -closewait-age), names the program with -p, and with
// -once, where ages are unknown, warns. Every alarm line fits 80 columns.
func TestWatchCloseWaitLeak(t *testing.T) {
	const k = 5
	port := closeWaitLeak(t, k)
	once, raw := watchOnce(t, "-port", port)
	if a, ok := findAlarm(once.Alarms, "close-wait-old"); !ok || !a.Warning || !strings.Contains(a.Message, "5 CLOSE-WAIT sockets (age unknown)") {
		t.Errorf("-once: alarm %+v, want a warning about 5 CLOSE-WAIT sockets of unknown age\n%s", a, raw)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := &cancelAfter{n: 1, marker: "CLOSE-WAIT sockets older than", cancel: cancel}
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard}
	err := cli.Run(ctx, env, []string{"watch", "-port", port, "-json", "-interval", "50ms", "-closewait-age", "200ms", "-p", "-sockets"})
	if err != nil {
		t.Fatal(err)
	}
	lines := splitLines(out.buf.String())
	var last watchFull
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	a, ok := findAlarm(last.Alarms, "close-wait-old")
	if !ok || a.Warning || !strings.Contains(a.Message, "5 CLOSE-WAIT sockets older than 200ms") {
		t.Fatalf("no close-wait-old alarm within 20 s: %+v\n%s", a, out.buf.String())
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	if want := fmt.Sprintf("held by %s (pid %d)", strings.TrimSpace(string(comm)), os.Getpid()); !strings.Contains(a.Message, want) {
		t.Errorf("alarm %q does not say %q", a.Message, want)
	}
	if last.Oldest < 0.2 {
		t.Errorf("oldest_close_wait_seconds = %v, want ≥ 0.2", last.Oldest)
	}
	owned := 0
	for _, s := range last.Sockets {
		if s.State == "CLOSE-WAIT" && len(s.Owners) > 0 && s.Owners[0].PID == os.Getpid() && s.Age >= 0.2 {
			owned++
		}
	}
	if owned != k {
		t.Errorf("%d CLOSE-WAIT rows with our pid and an age, want %d:\n%s", owned, k, lines[len(lines)-1])
	}
	checkAlarmWidth(t, port)
}

// checkAlarmWidth: the text output's alarm lines (and their continuation
// lines) fit 80 columns.
func checkAlarmWidth(t *testing.T, port string) {
	t.Helper()
	var out bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard}
	if err := cli.Run(context.Background(), env, []string{"watch", "-port", port, "-once"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "WARNING close-wait-old") {
		t.Errorf("no warning in the text output:\n%s", out.String())
	}
	for _, l := range splitLines(out.String()) {
		if n := utf8.RuneCountInString(l); n > 80 && strings.HasPrefix(l, "  ") {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

// -state and -dst choose rows; without -port every port is watched. In a
// namespace of its own: the host's table is shared with other tests and
// programs, and a dump of every port on a busy host can come back partial
// (the kernel interrupts dumps of tables that change).
func TestWatchFilters(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var port string
	err = ns.Do(func() error {
		port = closeWaitLeak(t, 3)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/proc/self/fd/%d", ns.Handle())
	waitState(t, int(ns.Handle()), tcpstate.FinWait2, 3)
	got, raw := watchOnce(t, "-netns", path, "-port", port, "-state", "CLOSE-WAIT")
	if len(got.Counts) != 1 || got.Counts["CLOSE-WAIT"] != 3 {
		t.Errorf("-state CLOSE-WAIT: counts %v, want only 3 CLOSE-WAIT\n%s", got.Counts, raw)
	}
	// The clients' ends are FIN-WAIT-2 toward the server's port, on any
	// local port: found without -port by their destination.
	got, raw = watchOnce(t, "-netns", path, "-dst", "127.0.0.1:"+port, "-state", "FIN-WAIT-2")
	if got.Counts["FIN-WAIT-2"] != 3 || len(got.Counts) != 1 {
		t.Errorf("-dst 127.0.0.1:%s -state FIN-WAIT-2: counts %v, want 3 FIN-WAIT-2\n%s", port, got.Counts, raw)
	}
	got, raw = watchOnce(t, "-netns", path, "-port", port, "-dst", "127.0.0.2")
	if len(got.Counts) != 0 {
		t.Errorf("-dst 127.0.0.2: counts %v, want none\n%s", got.Counts, raw)
	}
}

// waitState waits until the namespace has n sockets in state: a client's
// FIN-WAIT-1 ends when the server's ACK of its FIN arrives, which may
// come after the server has read the FIN.
func waitState(t *testing.T, nsfd int, st tcpstate.State, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		socks, err := sockdiag.List(sockdiag.Filter{NetNS: nsfd, States: []tcpstate.State{st}})
		if err != nil {
			t.Fatal(err)
		}
		if len(socks) >= n {
			return
		}
		if time.Now().After(deadline) {
			all, _ := sockdiag.List(sockdiag.Filter{NetNS: nsfd})
			t.Fatalf("%d sockets in %s after 10 s, want %d; table: %v", len(socks), st, n, all)
		}
		time.Sleep(time.Millisecond) // polling the socket table: there is no event to wait on
	}
}
