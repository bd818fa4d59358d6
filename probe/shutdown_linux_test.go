package probe_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/probe"
	"github.com/tcpteardown/teardown/server"
)

// restartable is this module's server behind a restart command: the
// command writes to one FIFO, the test restarts the server (gracefully or
// not) on the same address, then answers on a second FIFO, which the
// command waits for. No polling, no sleeps: each side waits on the other.
type restartable struct {
	addr     string
	cmd      string
	graceful bool
	srv      *server.Server
	done     chan struct{}
}

func startRestartable(t *testing.T, graceful bool) *restartable {
	dir := t.TempDir()
	ask, ans := filepath.Join(dir, "restart"), filepath.Join(dir, "restarted")
	for _, p := range []string{ask, ans} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := &restartable{graceful: graceful, cmd: "echo go > " + ask + " && cat " + ans}
	l := listen(t)
	r.addr = l.Addr().String()
	r.serve(l)
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() { defer close(finished); r.await(t, ask, ans, stop) }()
	t.Cleanup(func() {
		close(stop)
		// Wake await if the command never ran; without a reader (await
		// done) a non-blocking open fails with ENXIO instead of blocking.
		if f, err := os.OpenFile(ask, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		<-finished
		r.srv.Close()
		<-r.done
	})
	return r
}

func (r *restartable) serve(l net.Listener) {
	r.srv = &server.Server{Handler: server.HandlerFunc(ownHandler)}
	r.done = make(chan struct{})
	go func(s *server.Server, done chan struct{}) { defer close(done); s.Serve(l) }(r.srv, r.done)
}

// await waits for the command's request, restarts, and answers.
func (r *restartable) await(t *testing.T, ask, ans string, stop chan struct{}) {
	if _, err := os.ReadFile(ask); err != nil {
		t.Error(err)
		return
	}
	select {
	case <-stop:
		return
	default:
	}
	if r.graceful {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r.srv.Shutdown(ctx)
		cancel()
	} else {
		r.srv.Close()
	}
	<-r.done
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp", r.addr)
	if err != nil {
		t.Error(err)
	} else {
		r.serve(l)
	}
	os.WriteFile(ans, []byte("done\n"), 0)
}

// The shutdown check: a server that drains (Shutdown) loses no reply in
// flight; one that closes everything at once (Close resets each
// connection, SO_LINGER 0) loses them.
func TestShutdownCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		graceful bool
		want     probe.Verdict
	}{
		{"drain", true, probe.OK},
		{"abort", false, probe.Fail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := startRestartable(t, tt.graceful)
			got := run(t, r.addr, probe.Config{Only: []string{"shutdown"}, RestartCmd: r.cmd})["shutdown"]
			if got.Verdict != tt.want {
				t.Errorf("verdict %s (%s), want %s", got.Verdict, got.Evidence, tt.want)
			}
			if tt.want == probe.Fail && !got.RST {
				t.Errorf("an aborting restart saw no RST: %s", got.Evidence)
			}
		})
	}
}
