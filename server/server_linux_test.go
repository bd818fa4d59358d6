package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/server"
)

// The listener of ListenAndServe: SO_REUSEADDR on (C23: Go sets it on Unix
// listeners; verified here rather than assumed) and plain TCP, not MPTCP.
func TestListenOptions(t *testing.T) {
	l, err := server.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := []struct {
		name       string
		level, opt int
		want       int
	}{
		{name: "SO_REUSEADDR", level: syscall.SOL_SOCKET, opt: syscall.SO_REUSEADDR, want: 1},
		{name: "SO_PROTOCOL is TCP, not MPTCP (262)", level: syscall.SOL_SOCKET, opt: syscall.SO_PROTOCOL, want: syscall.IPPROTO_TCP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int
			err := sys.Control(l, func(fd int) (err error) { got, err = sys.GetInt(fd, tt.level, tt.opt); return err })
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// Shutdown in the middle of a churn of clients: every client whose
// connection was accepted gets its whole reply (none is reset out of the
// accept queue); the others are refused. Serve returns ErrServerClosed.
func TestShutdownUnderChurn(t *testing.T) {
	const replyLen = 4 << 10
	s := &server.Server{Handler: reply(16, replyLen)}
	l, err := server.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	var ok, lost, refused atomic.Int64
	stop := time.Now().Add(5 * time.Second)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				n, err := exchange(l.Addr().String(), make([]byte, 16), 0)
				switch {
				case isRefused(err):
					refused.Add(1)
					return // the listener is gone
				case err != nil || n != replyLen:
					lost.Add(1)
				default:
					ok.Add(1)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	aborted, err := s.Shutdown(ctx)
	wg.Wait()
	if aborted != 0 || err != nil {
		t.Errorf("Shutdown = %d, %v; want 0, nil", aborted, err)
	}
	if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
	if lost.Load() != 0 || ok.Load() == 0 {
		t.Errorf("replies: %d complete, %d lost, %d refused; want some complete and none lost", ok.Load(), lost.Load(), refused.Load())
	}
	t.Logf("%d complete, %d lost, %d refused after Shutdown; server: %v", ok.Load(), lost.Load(), refused.Load(), s.Stats())
}

func isRefused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}

// helperEnv makes the test binary run TestHelperServer as a server with few
// descriptors.
const helperEnv = "TEARDOWN_SERVER_HELPER"

// A burst of connections at a server whose RLIMIT_NOFILE is far too low for
// them: its accept backs off on EMFILE and resumes, every client gets its
// reply, and the server ends with nothing lingering and no descriptor or
// goroutine more than it started with. The server runs in a child process
// (this test binary again) so that only its limit is lowered. 2,000
// connections rather than 10,000 keep it at a few seconds under -race on 2
// cores; `teardown bench -workloads hold` reaches 10,000.
func TestAcceptBackoffEMFILE(t *testing.T) {
	const conns, workers = 2000, 200
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServer$", "-test.v=false")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		t.Fatal("helper server printed no address")
	}
	addr := out.Text()
	var complete atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int, conns)
	for i := range conns {
		jobs <- i
	}
	close(jobs)
	for range workers {
		wg.Go(func() {
			for range jobs {
				if n, err := exchange(addr, make([]byte, 16), 0); err == nil && n == 32 {
					complete.Add(1)
				}
			}
		})
	}
	wg.Wait()
	stdin.Close()
	var got helperReport
	if !out.Scan() || json.Unmarshal(out.Bytes(), &got) != nil {
		t.Fatalf("helper server sent no report: %q", out.Text())
	}
	want := helperReport{Accepted: conns + 1, Leaked: "none"}
	retries := got.AcceptRetries
	got.AcceptRetries = 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server after the burst (-want +got):\n%s", diff)
	}
	if retries == 0 {
		t.Errorf("accept never hit EMFILE: the limit was not low enough to test the backoff")
	}
	if complete.Load() != conns {
		t.Errorf("%d of %d clients got their reply", complete.Load(), conns)
	}
	t.Logf("%d connections, %d accept retries on EMFILE", conns, retries)
}

type helperReport struct {
	Accepted, AcceptRetries uint64
	Lingering, Active       int64
	Leaked                  string
}

// TestHelperServer is the child of TestAcceptBackoffEMFILE: it serves with
// RLIMIT_NOFILE lowered to 48 descriptors more than it has open, until its
// stdin closes, then prints its report as JSON.
func TestHelperServer(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process of TestAcceptBackoffEMFILE")
	}
	s := &server.Server{Handler: reply(16, 32)}
	l, err := server.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	// One connection first: the lingerer and the accept loop are running
	// when the baseline is taken.
	if _, err := exchange(l.Addr().String(), make([]byte, 16), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first close", func() bool { return closedAll(s.Stats(), 1) })
	fds0, g0 := countFDs(), runtime.NumGoroutine()
	lim := syscall.Rlimit{Cur: uint64(fds0 + 48), Max: 20000}
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = uint64(fds0 + 48)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	fmt.Println(l.Addr())
	os.Stdin.Read(make([]byte, 1)) // until the parent closes our stdin
	waitFor(t, "the last closes", func() bool { st := s.Stats(); return st.Lingering == 0 && st.Active == 0 })
	st := s.Stats()
	leaked := "none"
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= g0 })
	if n := countFDs(); n != fds0 {
		leaked = fmt.Sprintf("%d descriptors", n-fds0)
	}
	s.Close()
	<-errc
	json.NewEncoder(os.Stdout).Encode(helperReport{Accepted: st.Accepted, AcceptRetries: st.AcceptRetries,
		Lingering: st.Lingering, Active: st.Active, Leaked: leaked})
}

func countFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents) - 1 // the directory being read
}
