package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
)

// Go cannot fork(2) a running program, so a scenario's processes (a child
// that exits without close, one killed with SIGKILL, one that dies of
// SIGPIPE, a holder of an inherited descriptor) are this same binary
// started again with childEnv set. The program decides: its main (and the
// TestMain of a test binary that runs scenarios with process actors) calls
// RunIfChild first. Nothing runs a child behind the program's back: a
// binary that forgot the call is started with "-test.run=^$" as its only
// argument, so a test binary runs no test and the teardown binary rejects
// the command, and the scenario reports that its child did not start.
const childEnv = "TEARDOWN_LAB_CHILD"

// RunIfChild runs this process as a scenario's process actor, and exits,
// when the runner started it as one; otherwise it returns at once.
func RunIfChild() {
	switch mode := os.Getenv(childEnv); mode {
	case "":
	case wireChildMode:
		os.Exit(wireChildMain())
	default:
		os.Exit(childMain(mode))
	}
}

// childMain runs a child: "actor" executes forwarded steps, with the
// sockets the parent bound for it ("actor listen=5 udp=6": descriptors 5
// and 6); "hold:D" keeps its inherited socket (descriptor 3) for D and
// exits without closing it.
func childMain(mode string) int {
	if d, ok := strings.CutPrefix(mode, "hold:"); ok {
		dur, _ := time.ParseDuration(d)
		time.Sleep(dur)
		return 0 // the kernel closes descriptor 3: the holder's reference ends here
	}
	in, out := os.NewFile(3, "requests"), os.NewFile(4, "responses")
	dec, enc := json.NewDecoder(in), json.NewEncoder(out)
	a := &actor{fd: -1, orig: -1, dup: -1, listener: -1, prebound: -1, udp: -1}
	for _, f := range strings.Fields(mode)[1:] {
		name, v, _ := strings.Cut(f, "=")
		fd, _ := strconv.Atoi(v)
		switch name {
		case "listen":
			a.prebound = fd
		case "udp":
			a.udp = fd
		}
	}
	for {
		var req request
		if dec.Decode(&req) != nil {
			return 0
		}
		if req.Step.Op == "exit" {
			os.Exit(0) // on purpose without close(2): exit closes every descriptor (C13)
		}
		a.udpMode = a.udpMode || req.Step.Op == "udp"
		resp := response{Calls: a.exec(&req)}
		resp.Local, _ = sys.SockName(a.fd)
		resp.Remote, _ = sys.PeerName(a.fd)
		if enc.Encode(resp) != nil {
			return 1
		}
	}
}

// response is what a child sends back for each step.
type response struct {
	Calls         []lab.Call
	Local, Remote netip.AddrPort
}

// child is a running child process as the parent sees it.
type child struct {
	cmd  *exec.Cmd
	enc  *json.Encoder
	dec  *json.Decoder
	w, r *os.File
	done chan struct{}
}

// startChild starts a child. A holder ("hold:D") gets extra[0] as its
// descriptor 3; an actor gets its pipes as 3 and 4, and extra from 5 on.
func startChild(ctx context.Context, mode string, extra ...*os.File) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("lab: find this program to start a child process: %w", err)
	}
	cmd := exec.Command(exe, "-test.run=^$") // see childEnv: harmless if the program forgot RunIfChild
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	c := &child{cmd: cmd, done: make(chan struct{})}
	var theirs []*os.File
	if strings.HasPrefix(mode, "hold:") {
		cmd.ExtraFiles = extra
	} else if theirs, err = c.pipes(); err != nil {
		return nil, err
	} else {
		cmd.ExtraFiles = append(cmd.ExtraFiles, extra...)
	}
	err = startWhenNoClose(cmd.Start) // see forkgate.go
	for _, f := range theirs {
		f.Close()
	}
	if err != nil {
		c.closePipes()
		return nil, fmt.Errorf("lab: start child process: %w", err)
	}
	go func() { _ = cmd.Wait(); close(c.done) }() // how it ended is read from ProcessState
	return c, nil
}

// pipes makes the request and response pipes; it returns the child's ends.
func (c *child) pipes() ([]*os.File, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	c.cmd.ExtraFiles = []*os.File{reqR, respW}
	c.w, c.r = reqW, respR
	c.enc, c.dec = json.NewEncoder(reqW), json.NewDecoder(respR)
	return []*os.File{reqR, respW}, nil
}

func (c *child) closePipes() {
	for _, f := range []*os.File{c.w, c.r} {
		if f != nil {
			f.Close()
		}
	}
}

// roundTrip sends one step and reads the answer; false when the child died.
func (c *child) roundTrip(req *request) (response, bool) {
	var resp response
	if c.enc.Encode(req) != nil || c.dec.Decode(&resp) != nil {
		return resp, false
	}
	return resp, true
}

// ended waits up to d for the child to end and says how it ended, in the
// timeline's words: "ok" (exit 0), "exit status N", "killed:SIGPIPE".
func (c *child) ended(d time.Duration) string {
	select {
	case <-c.done:
	case <-time.After(d):
		return "timeout"
	}
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return c.cmd.ProcessState.String()
	case ws.Signaled():
		return "killed:" + sigName(ws.Signal())
	case ws.ExitStatus() != 0:
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	}
	return "ok"
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	return fmt.Sprintf("signal%d", int(s))
}

// stop kills the child if it still runs and releases everything.
func (c *child) stop() {
	select {
	case <-c.done:
	default:
		_ = c.cmd.Process.Kill() // it may have exited since: done says when
		<-c.done
	}
	c.closePipes()
}

// remote runs a socket step in the actor's child process. When the child
// dies during the step (SIGPIPE), the step's result says so.
func (a *actor) remote(req *request) error {
	if a.dead != "" {
		a.r.recordCall(a.name, lab.Call{Op: req.Step.Op, Args: strings.Join(req.Step.Args, " "), Result: a.dead})
		return nil
	}
	resp, ok := a.child.roundTrip(req)
	if !ok {
		a.dead = a.child.ended(2 * time.Second)
		a.r.recordCall(a.name, lab.Call{Op: req.Step.Op, Args: strings.Join(req.Step.Args, " "), Result: a.dead})
		return nil
	}
	for _, c := range resp.Calls {
		a.r.recordCall(a.name, c)
	}
	a.r.addSock(resp.Local, resp.Remote, a.name)
	return nil
}

// exitChild asks the child to exit without closing its socket.
func (a *actor) exitChild(req *request) error {
	if a.child == nil {
		a.r.recordCall(a.name, a.exitNotProcess(req)[0]) // the parser refuses this; kept for saved files
		return nil
	}
	t0 := time.Now()
	// A failed send means the child is gone already: ended says how.
	_ = a.child.enc.Encode(req)
	a.dead = a.child.ended(2 * time.Second)
	a.r.recordCall(a.name, lab.Call{Op: "exit", Result: a.dead, Dur: time.Since(t0)})
	return nil
}

// kill sends SIGKILL to another actor's process.
func (a *actor) kill(name string) error {
	t := a.r.actors[name]
	if t == nil || t.child == nil {
		return fmt.Errorf("kill: %s is not a process actor (`actor %s process`)", name, name)
	}
	t0 := time.Now()
	err := t.child.cmd.Process.Kill()
	res := okOr(err)
	if err == nil {
		res = t.child.ended(2 * time.Second)
	}
	a.r.recordCall(a.name, lab.Call{Op: "kill", Args: "-9 " + name, Result: res, Dur: time.Since(t0)})
	return nil
}

// forkHolder starts a process that inherits the actor's socket and holds
// it for a while: the socket's reference count is then two (C02, C10).
func (a *actor) forkHolder(st *lab.Step) error {
	t0 := time.Now()
	fd, err := sys.Dup(a.fd)
	if err != nil {
		a.r.recordCall(a.name, lab.Call{Op: "fork", Result: result(0, err)})
		return nil
	}
	f := os.NewFile(uintptr(fd), "socket")
	c, err := startChild(a.r.ctx, "hold:"+st.Args[0], f)
	f.Close() // the child has its own reference now
	if err != nil {
		return err
	}
	a.holders = append(a.holders, c)
	a.r.recordCall(a.name, lab.Call{Op: "fork", Args: "holder for " + st.Args[0], Result: "ok", Dur: time.Since(t0)})
	return nil
}
