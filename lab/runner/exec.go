package runner

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
)

// request is a step with the actor names resolved into addresses: what a
// child process needs to execute it.
type request struct {
	Step lab.Step
	Addr netip.AddrPort
}

var (
	errTimeout = errors.New("timeout")
	errNoSock  = errors.New("EBADF")
	// errCancelled ends a step of a run that was cancelled (Ctrl-C).
	errCancelled = errors.New("run cancelled")
	loopback     = netip.MustParseAddr("127.0.0.1")
)

// timed runs fn as one call and fills in its duration and result.
func timed(op, args string, fn func() (string, error)) lab.Call {
	t0 := time.Now()
	res, err := fn()
	end := time.Now()
	c := lab.Call{Op: op, Args: args, Dur: end.Sub(t0), Result: res, At: end}
	if err != nil {
		c.Result = errResult(err)
	}
	return c
}

func errResult(err error) string {
	if errors.Is(err, errTimeout) {
		return "timeout"
	}
	if errors.Is(err, errNoSock) {
		return "EBADF"
	}
	return result(0, err)
}

func waitOpt(st *lab.Step) time.Duration {
	if v, ok := st.Opts["wait"]; ok {
		d, _ := lab.ParseDuration(v)
		return d
	}
	return lab.DefaultWait
}

func (a *actor) socket(typ int) (int, error) {
	if a.mkSock != nil {
		return a.mkSock(typ)
	}
	return sys.Socket(false, typ)
}

// sockOpts applies the SO_* options of a step, in name order.
func sockOpts(fd int, st *lab.Step) error {
	for _, name := range lab.SockOptNames {
		if v, ok := st.Opts[name]; ok {
			n, _ := strconv.Atoi(v)
			if err := sys.SetSockInt(fd, name, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *actor) listen(req *request) []lab.Call {
	st := &req.Step
	backlog := 128
	if v, ok := st.Opts["backlog"]; ok {
		backlog, _ = strconv.Atoi(v)
	}
	fd := a.prebound
	a.prebound = -1
	var calls []lab.Call
	if fd < 0 {
		var bindCall lab.Call
		fd, bindCall = a.bindNew(req)
		if calls = append(calls, bindCall); bindCall.Result != "ok" {
			// As in a C program, the socket outlives its failed bind: a
			// later `close listener` closes it and answers ok.
			a.listener = fd
			return calls
		}
	}
	a.listener = fd
	return append(calls, timed("listen", "backlog "+strconv.Itoa(backlog), func() (string, error) {
		return "ok", sys.Listen(fd, backlog)
	}))
}

// bindNew makes a listener socket at listen time (`listen port=NAME`): the
// bind is then a call of the scenario, and EADDRINUSE an answer.
func (a *actor) bindNew(req *request) (int, lab.Call) {
	fd, err := a.socket(sys.Stream)
	if err != nil {
		return -1, lab.Call{Op: "socket", Result: errResult(err)}
	}
	if err := sockOpts(fd, &req.Step); err != nil {
		_ = closeSock(fd)
		return -1, lab.Call{Op: "setsockopt", Result: errResult(err)}
	}
	addr := req.Addr
	if !addr.IsValid() {
		addr = netip.AddrPortFrom(a.addr(), 0)
	}
	c := timed("bind", addr.String(), func() (string, error) { return "ok", sys.Bind(fd, addr) })
	return fd, c
}

func (a *actor) connect(req *request) []lab.Call {
	if a.udpMode {
		return []lab.Call{timed("connect", req.Addr.String(), func() (string, error) {
			return "ok", sys.Connect(a.fd, req.Addr)
		})}
	}
	fd, err := a.socket(sys.Stream)
	if err == nil {
		err = sockOpts(fd, &req.Step)
	}
	if err != nil {
		return []lab.Call{{Op: "socket", Result: errResult(err)}}
	}
	a.fd, a.orig = fd, fd
	nb := len(req.Step.Args) == 2
	args := req.Addr.String()
	if nb {
		args += " nonblock"
	}
	return []lab.Call{timed("connect", args, func() (string, error) { return "ok", a.connectFD(req.Addr, nb, waitOpt(&req.Step)) })}
}

// connectFD connects like a blocking connect(2), but bounded by wait: the
// socket is non-blocking while the handshake runs. With nonblock it stays
// non-blocking and the answer is EINPROGRESS.
func (a *actor) connectFD(to netip.AddrPort, nonblock bool, wait time.Duration) error {
	if err := sys.SetNonblock(a.fd, true); err != nil {
		return err
	}
	err := sys.Connect(a.fd, to)
	if nonblock {
		a.nonblock = true
		return err
	}
	defer func() { _ = sys.SetNonblock(a.fd, false) }() // F_SETFL on a descriptor it just used cannot fail
	if sys.ErrnoName(err) != "EINPROGRESS" {
		return err
	}
	if ok, err := a.poll(a.fd, true, wait); err != nil || !ok {
		return errors.Join(err, errTimeout)
	}
	return sys.SockError(a.fd)
}

func (a *actor) accept(req *request) []lab.Call {
	return []lab.Call{timed("accept", "", func() (string, error) {
		if a.listener < 0 {
			return "", errNoSock
		}
		if err := a.ready(a.listener, false, waitOpt(&req.Step)); err != nil {
			return "", err
		}
		nfd, _, err := sys.Accept(a.listener)
		if err == nil {
			a.fd, a.orig = nfd, nfd
		}
		return "ok", err
	})}
}

// ready waits for fd like a blocking call would, bounded by wait; on a
// non-blocking socket it returns at once so the call answers EAGAIN.
func (a *actor) ready(fd int, write bool, wait time.Duration) error {
	if fd < 0 {
		return errNoSock
	}
	if a.nonblock {
		return nil
	}
	ok, err := a.poll(fd, write, wait)
	if err != nil {
		return err
	}
	if !ok {
		return errTimeout
	}
	return nil
}

// cancelCheck is how often a blocked in-process step looks at the run's
// context: Ctrl-C ends a step that waits seconds within this.
const cancelCheck = 50 * time.Millisecond

// poll is sys.Poll bounded by wait that also ends, with errCancelled, soon
// after the run is cancelled. In a child process there is no run: the
// parent kills the child instead.
func (a *actor) poll(fd int, write bool, wait time.Duration) (bool, error) {
	if a.r == nil {
		return sys.Poll(fd, write, wait)
	}
	deadline := time.Now().Add(wait)
	for {
		ok, err := sys.Poll(fd, write, max(min(time.Until(deadline), cancelCheck), 0))
		if ok || err != nil || !time.Now().Before(deadline) {
			return ok, err
		}
		if a.cancelled() {
			return false, errCancelled
		}
	}
}

// cancelled reports whether the run this actor belongs to was cancelled;
// loops that sleep between tries check it on every turn.
func (a *actor) cancelled() bool { return a.r != nil && a.r.ctx.Err() != nil }
