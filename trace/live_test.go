package trace_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// wait is generous: the machine is shared and slow at times.
const wait = 10 * time.Second

// listen opens a plain-TCP listener on a free loopback port.
func listen(t *testing.T, network, addr string) *net.TCPListener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // Go may default listeners to MPTCP
	l, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

func port(l net.Listener) uint16 { return uint16(l.Addr().(*net.TCPAddr).Port) }

func addrPort(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// connect dials l and returns both ends after exchanging a little data.
func connect(t *testing.T, l *net.TCPListener) (client, server *net.TCPConn) {
	t.Helper()
	var d net.Dialer
	d.SetMultipathTCP(false)
	c, err := d.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.AcceptTCP()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	if _, err := c.Write([]byte("aaa")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, 3)); err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn), s
}

func startTracer(t *testing.T, ctx context.Context, ports ...uint16) *trace.Tracer {
	t.Helper()
	tr, err := trace.Start(ctx, &trace.Config{Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := os.Stat(tr.Instance()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("instance %s still exists after Close (stat: %v)", tr.Instance(), err)
		}
	})
	return tr
}

// collect reads transitions until done says the story is complete.
func collect(t *testing.T, tr *trace.Tracer, done func([]trace.Transition) bool) []trace.Transition {
	t.Helper()
	var got []trace.Transition
	timeout := time.After(wait)
	for !done(got) {
		select {
		case e, ok := <-tr.Events():
			if !ok {
				t.Fatalf("events closed early; got %v", got)
			}
			got = append(got, e)
		case <-timeout:
			t.Fatalf("timed out after %v; got:\n%s", wait, dump(got))
		}
	}
	return got
}

func dump(ts []trace.Transition) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.Time.Format("15:04:05.000000 ") + t.String() + "\n")
	}
	return b.String()
}

// path tells what happened to the socket local↔remote, as step does.
func path(ts []trace.Transition, local, remote netip.AddrPort) []string {
	out := []string{}
	for _, t := range ts {
		if t.Local == local && t.Remote == remote {
			out = append(out, step(t))
		}
	}
	return out
}

// find returns the first change of the socket local↔remote to state to.
// A socket is known by both ends, never by its local port alone: the
// tracepoints are global, and a program in another network namespace may
// use the same address and port at the same moment (a test's listener
// port was some namespace's ephemeral client port once, and its LAST-ACK
// was taken for the test server's).
func find(ts []trace.Transition, local, remote netip.AddrPort, to tcpstate.State, inferred bool) (trace.Transition, bool) {
	for _, t := range ts {
		if t.Kind == trace.StateChange && t.Local == local && t.Remote == remote && t.To == to && t.Inferred == inferred {
			return t, true
		}
	}
	return trace.Transition{}, false
}

func has(local, remote netip.AddrPort, to tcpstate.State, inferred bool) func([]trace.Transition) bool {
	return func(ts []trace.Transition) bool { _, ok := find(ts, local, remote, to, inferred); return ok }
}

func both(a, b func([]trace.Transition) bool) func([]trace.Transition) bool {
	return func(ts []trace.Transition) bool { return a(ts) && b(ts) }
}

func TestLiveActiveClose(t *testing.T) {
	testenv.RequireRoot(t)
	tests := []struct {
		name string
		// closeFirst is what the client does first; the server then reads
		// EOF, waits a moment and closes.
		closeFirst func(*net.TCPConn) error
		// orphaned: close() leaves no owner, so the kernel swaps the socket
		// for a FIN-WAIT-2 mini-socket as soon as its FIN is acked, before
		// the server's FIN.
		orphaned bool
	}{
		{"close() then peer closes later", (*net.TCPConn).Close, true},
		{"shutdown(WR) then peer closes", (*net.TCPConn).CloseWrite, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, "tcp4", "127.0.0.1:0")
			tr := startTracer(t, context.Background(), port(l))
			c, s := connect(t, l)
			cl, sl := addrPort(c.LocalAddr()), addrPort(s.LocalAddr())
			if err := tc.closeFirst(c); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(s); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // the server "works" before closing
			s.Close()
			got := collect(t, tr, both(has(cl, sl, tcpstate.TimeWait, true), has(sl, cl, tcpstate.Close, false)))
			wantClient := []string{"SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE", "TIME-WAIT*"}
			if diff := cmp.Diff(wantClient, onlyStates(path(got, cl, sl))); diff != "" {
				t.Errorf("client (-want +got):\n%s\n%s", diff, dump(got))
			}
			wantServer := []string{"SYN-RECV", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSE"}
			if diff := cmp.Diff(wantServer, onlyStates(path(got, sl, cl))); diff != "" {
				t.Errorf("server (-want +got):\n%s\n%s", diff, dump(got))
			}
			checkTimeWaitTiming(t, got, cl, sl, tc.orphaned)
		})
	}
}

func onlyStates(steps []string) []string {
	out := []string{}
	for _, s := range steps {
		if s != "destroyed" {
			out = append(out, s)
		}
	}
	return out
}

// checkTimeWaitTiming checks when the kernel let go of the client's full
// socket: orphaned, before the server sent its FIN (LAST-ACK); otherwise
// only when that FIN arrived. Either way TIME-WAIT starts with the FIN.
func checkTimeWaitTiming(t *testing.T, got []trace.Transition, cl, sl netip.AddrPort, orphaned bool) {
	t.Helper()
	closed, _ := find(got, cl, sl, tcpstate.Close, false)
	tw, _ := find(got, cl, sl, tcpstate.TimeWait, true)
	lastAck, _ := find(got, sl, cl, tcpstate.LastAck, false)
	if gotOrphan := closed.Time.Before(lastAck.Time); gotOrphan != orphaned {
		t.Errorf("client CLOSE at %v, server LAST-ACK at %v: closed before the peer's FIN = %v, want %v\n%s",
			closed.Time, lastAck.Time, gotOrphan, orphaned, dump(got))
	}
	if tw.Time.Before(lastAck.Time) {
		t.Errorf("inferred TIME-WAIT at %v precedes the server's FIN (LAST-ACK at %v)", tw.Time, lastAck.Time)
	}
}

func TestLiveAbort(t *testing.T) {
	testenv.RequireRoot(t)
	l := listen(t, "tcp6", "[::1]:0")
	tr := startTracer(t, context.Background(), port(l))
	c, s := connect(t, l)
	cl, sl := addrPort(c.LocalAddr()), addrPort(s.LocalAddr())
	if err := c.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	c.Close()
	sent := func(ts []trace.Transition) bool {
		for _, e := range ts {
			if e.Kind == trace.ResetSent && e.Local == cl && e.Remote == sl {
				return true
			}
		}
		return false
	}
	got := collect(t, tr, both(sent, has(sl, cl, tcpstate.Close, false)))
	if diff := cmp.Diff([]string{"SYN-SENT", "ESTABLISHED", "CLOSE", "reset-sent"}, path(got, cl, sl)); diff != "" {
		t.Errorf("client (-want +got):\n%s\n%s", diff, dump(got))
	}
	if diff := cmp.Diff([]string{"SYN-RECV", "ESTABLISHED", "reset-received", "CLOSE"}, path(got, sl, cl)); diff != "" {
		t.Errorf("server (-want +got):\n%s\n%s", diff, dump(got))
	}
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("server read after the reset: %v, want ECONNRESET", err)
	}
}

func TestLiveTwoTracers(t *testing.T) {
	testenv.RequireRoot(t)
	l1, l2 := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "tcp4", "127.0.0.1:0")
	t1 := startTracer(t, context.Background(), port(l1))
	t2 := startTracer(t, context.Background(), port(l1), port(l2))
	c1, _ := connect(t, l1)
	c2, _ := connect(t, l2)
	a1, a2 := addrPort(c1.LocalAddr()), addrPort(c2.LocalAddr())
	r1, r2 := addrPort(c1.RemoteAddr()), addrPort(c2.RemoteAddr())
	collect(t, t2, both(has(a1, r1, tcpstate.Established, false), has(a2, r2, tcpstate.Established, false)))
	got1 := collect(t, t1, has(a1, r1, tcpstate.Established, false))
	c1.Close()
	c2.Close()
	got1 = append(got1, collect(t, t1, has(a1, r1, tcpstate.FinWait1, false))...)
	for _, e := range got1 {
		if e.Local.Port() != port(l1) && e.Remote.Port() != port(l1) {
			t.Errorf("tracer of port %d saw %v", port(l1), e)
		}
	}
	if t1.Instance() == t2.Instance() {
		t.Errorf("both tracers use instance %s", t1.Instance())
	}
}

func TestLiveContextCancel(t *testing.T) {
	testenv.RequireRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	tr, err := trace.Start(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.After(wait)
	for range tr.Events() { // drains, and ends when the tracer stops
		select {
		case <-deadline:
			t.Fatal("events not closed after cancel")
		default:
		}
	}
	if _, err := os.Stat(tr.Instance()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance %s survives ctx cancel (stat: %v)", tr.Instance(), err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
	if err := tr.FINReceived(netip.AddrPort{}, netip.AddrPort{}, time.Now()); !errors.Is(err, trace.ErrClosed) {
		t.Errorf("FINReceived after close: %v, want ErrClosed", err)
	}
}

func TestLiveCleanup(t *testing.T) {
	testenv.RequireRoot(t)
	if err := trace.Available(); err != nil {
		t.Fatal(err)
	}
	dead := deadPID(t)
	inst := filepath.Join("/sys/kernel/tracing/instances")
	// The counter part is this test process's pid: two test binaries (CI
	// runs packages in parallel; a second `go test` may run beside) then
	// never make or remove each other's instances.
	me := strconv.Itoa(os.Getpid())
	stale := filepath.Join(inst, "teardown-"+dead+"-"+me)
	alive := filepath.Join(inst, "teardown-1-"+me) // pid 1 never exits
	for _, d := range []string{stale, alive} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	defer os.Remove(alive)
	defer os.Remove(stale)
	if err := trace.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale instance of dead pid %s survives Cleanup (stat: %v)", dead, err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("instance of a live process removed: %v", err)
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) string {
	for pid := 4_000_000; pid > 3_000_000; pid -= 7919 {
		s := strconv.Itoa(pid)
		if _, err := os.Stat("/proc/" + s); errors.Is(err, os.ErrNotExist) {
			return s
		}
	}
	t.Fatal("no free pid found")
	return ""
}

// TestLiveKilledRun starts a tracer in a child process, kills it with
// SIGKILL (no Close runs) and checks that the next Cleanup removes the
// instance it left.
func TestLiveKilledRun(t *testing.T) {
	testenv.RequireRoot(t)
	if os.Getenv("TRACE_TEST_HELPER") == "1" {
		tr, err := trace.Start(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(tr.Instance())
		time.Sleep(wait) // killed long before
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveKilledRun$")
	cmd.Env = append(os.Environ(), "TRACE_TEST_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	dir := strings.TrimSpace(line)
	if err != nil || !strings.HasPrefix(filepath.Base(dir), "teardown-") {
		t.Fatalf("child printed %q (%v), want its instance", line, err)
	}
	defer os.Remove(dir)
	if _, err := os.Stat(dir); err != nil {
		// Another process's Start may have cleaned it up already: tracers
		// of other test binaries run at the same time on this machine.
		t.Logf("the killed child's instance is gone before our Cleanup: %v", err)
	}
	if err := trace.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance %s of the killed child survives Cleanup (stat: %v)", dir, err)
	}
}

// Two processes may clean up at once (go test runs packages in parallel,
// and each tracer cleans at Start): one's rmdir of a stale instance then
// races the other's, and the loser must not report an error for an
// instance that is gone.
func TestCleanupConcurrent(t *testing.T) {
	testenv.RequireRoot(t)
	if err := trace.Available(); err != nil {
		t.Fatal(err)
	}
	dead := deadPID(t)
	inst := "/sys/kernel/tracing/instances"
	for round := range 6 {
		var dirs []string
		for i := range 6 {
			// Unique to this process (see TestLiveCleanup).
			d := filepath.Join(inst, fmt.Sprintf("teardown-%s-%d%03d", dead, os.Getpid(), 100*round+i))
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, d)
		}
		errs := make(chan error, 2)
		for range 2 {
			go func() { errs <- trace.Cleanup() }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: concurrent Cleanup: %v", round, err)
			}
		}
		for _, d := range dirs {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("round %d: %s survives (stat: %v)", round, d, err)
			}
		}
	}
}
