package runner

import (
	"net/netip"

	"github.com/tcpteardown/teardown/lab"
)

// op is how the runner carries out one operation of the scenario language;
// the lab package's parser says how the operation is written and checked.
// Adding an operation is one entry here and one in lab's table (a test keeps
// the two in step).
type op struct {
	// ctl runs a step about time, barriers, notes or other processes in
	// the actor's goroutine, in this process. Nil for a socket step.
	ctl func(a *actor, st *lab.Step) error
	// sock runs a socket step where the actor's sockets are (here, or in
	// its child process) and returns the calls it made.
	sock func(a *actor, req *request) []lab.Call
	// target is the address an actor name in the step stands for, resolved
	// in the parent so that a child can run the step without the run.
	target func(a *actor, st *lab.Step) netip.AddrPort
}

// ops is filled in init: its entries refer to functions that use it.
var ops map[string]op

func init() {
	ops = map[string]op{
		"listen":      {sock: (*actor).listen, target: listenPort},
		"udp":         {sock: (*actor).udpSock},
		"connect":     {sock: (*actor).connect, target: peerAddr},
		"accept":      {sock: (*actor).accept},
		"write":       {sock: (*actor).write},
		"send":        {sock: (*actor).send},
		"sendto":      {sock: (*actor).sendto, target: peerAddr},
		"read":        {sock: (*actor).read},
		"recv":        {sock: (*actor).recv},
		"echo":        {sock: (*actor).echo},
		"shutdown":    {sock: (*actor).shutdown},
		"close":       {sock: (*actor).close},
		"abort":       {sock: (*actor).abort},
		"linger":      {sock: (*actor).linger},
		"setsockopt":  {sock: (*actor).setsockopt},
		"ioctl":       {sock: (*actor).ioctl},
		"nonblock":    {sock: (*actor).setNonblock},
		"dup":         {sock: (*actor).dupFD},
		"use":         {sock: (*actor).use},
		"disconnect":  {sock: (*actor).disconnect},
		"getsockname": {sock: (*actor).sockName},
		"getpeername": {sock: (*actor).peerName},
		"sigpipe":     {sock: (*actor).sigpipe},
		"wait":        {ctl: (*actor).wait, sock: (*actor).waitState},
		"exit":        {ctl: (*actor).exitStep}, // the child itself exits on "exit" (child.go)
		"sleep":       {ctl: (*actor).sleepStep},
		"signal":      {ctl: (*actor).signalStep},
		"note":        {ctl: (*actor).noteStep},
		"snapshot":    {ctl: (*actor).snapshotStep},
		"kill":        {ctl: (*actor).killStep},
		"fork-holder": {ctl: (*actor).forkHolder},
	}
}

// step runs one step: a control step here, a socket step where the actor's
// sockets are.
func (a *actor) step(st *lab.Step) error {
	if o := ops[st.Op]; o.ctl != nil {
		return o.ctl(a, st)
	}
	return a.do(st)
}

// exec runs one socket step and returns the calls it made, timed.
func (a *actor) exec(req *request) []lab.Call {
	o := ops[req.Step.Op]
	if o.sock == nil {
		return []lab.Call{{Op: req.Step.Op, Result: "unsupported here"}}
	}
	return o.sock(a, req)
}

// request resolves the actor names of a step into addresses, so that a
// child process can execute it without knowing the run.
func (a *actor) request(st *lab.Step) *request {
	req := &request{Step: *st}
	if st.Op == "udp" {
		a.udpMode = true // later connect/sendto NAME mean NAME's UDP socket
	}
	if t := ops[st.Op].target; t != nil {
		req.Addr = t(a, st)
	}
	return req
}

func peerAddr(a *actor, st *lab.Step) netip.AddrPort { return a.r.addrOf(st.Args[0], a.udpMode) }

func listenPort(a *actor, st *lab.Step) netip.AddrPort {
	if p, ok := st.Opts["port"]; ok {
		return a.r.addrOf(p, false)
	}
	return netip.AddrPort{}
}

func (a *actor) sleepStep(st *lab.Step) error {
	d, _ := lab.ParseDuration(st.Args[0])
	if err := a.sleep(d); err != nil {
		return err
	}
	a.r.markMoment()
	return nil
}

func (a *actor) signalStep(st *lab.Step) error { a.signal(st.Args[0]); return nil }

func (a *actor) noteStep(st *lab.Step) error { a.r.note(a.name, "%s", st.Args[0]); return nil }

func (a *actor) snapshotStep(*lab.Step) error { a.r.snapshot(); return nil }

func (a *actor) killStep(st *lab.Step) error { return a.kill(st.Args[0]) }

func (a *actor) exitStep(st *lab.Step) error { return a.exitChild(a.request(st)) }
