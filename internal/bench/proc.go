package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a server child process and its control pipe.
type proc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	addr string
}

// serverArgs are the flags of `teardown bench server` for cfg.
func serverArgs(cfg *ServerConfig) []string {
	return []string{"-addr", cfg.Addr, "-req", strconv.Itoa(cfg.Req), "-reply", strconv.Itoa(cfg.Reply),
		"-close", cfg.Close, "-idle", cfg.Idle.String(), "-linger", cfg.Linger.String(),
		"-max-drain", strconv.FormatInt(cfg.MaxDrain, 10), "-control"}
}

// spawn starts a server child and waits for its address.
func spawn(mk func(args []string) *exec.Cmd, cfg *ServerConfig, stderr io.Writer) (*proc, error) {
	cmd := mk(serverArgs(cfg))
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start server: %w", err)
	}
	p := &proc{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	line, err := p.line(10 * time.Second)
	addr, ok := strings.CutPrefix(line, "listening ")
	if err != nil || !ok {
		p.stop()
		return nil, fmt.Errorf("bench: server %s did not start: %q %v", cfg.Close, line, err)
	}
	p.addr = addr
	return p, nil
}

// line reads one line from the child, or fails after d.
func (p *proc) line(d time.Duration) (string, error) {
	type res struct {
		s  string
		ok bool
	}
	ch := make(chan res, 1)
	go func() { ok := p.out.Scan(); ch <- res{p.out.Text(), ok} }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-ch:
		if !r.ok {
			return "", fmt.Errorf("bench: server exited: %v", p.out.Err())
		}
		return r.s, nil
	case <-t.C:
		// A Go server prints every goroutine's stack on SIGQUIT, to the
		// stderr it shares with us: why it was stuck is then on record.
		_ = p.cmd.Process.Signal(syscall.SIGQUIT) // it may have exited already
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
		}
		_ = p.cmd.Process.Kill() // unblocks the reader goroutine; it may have exited already
		return "", fmt.Errorf("bench: server did not answer within %v (its goroutines, if it is a Go server, are on stderr)", d)
	}
}

// ask sends a command and decodes the answer.
func (p *proc) ask(cmd string, d time.Duration) (Snapshot, error) {
	var s Snapshot
	if _, err := fmt.Fprintln(p.in, cmd); err != nil {
		return s, fmt.Errorf("bench: server: %w", err)
	}
	line, err := p.line(d)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		return s, fmt.Errorf("bench: server said %q: %w", line, err)
	}
	return s, nil
}

// stop closes the control pipe (the child exits) and reaps it; a child
// that does not exit within 10 s is killed.
func (p *proc) stop() {
	p.in.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }() // its exit status says nothing the results do not
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill() // it may have exited since
		<-done
	}
}
