package bench

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLineTimeout: a server that never answers is asked to dump its
// goroutines (SIGQUIT), then killed; the caller gets an error at once
// after the bound, and the process is gone.
func TestLineTimeout(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep(1) here: %v", err)
	}
	p := &proc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	_, err = p.line(100 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 100ms") {
		t.Errorf("line = %v, want a timeout error", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done: // killed by SIGQUIT or SIGKILL
	case <-time.After(10 * time.Second):
		t.Fatal("the silent server is still running 10 s after the timeout")
	}
}
