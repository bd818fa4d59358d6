package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/tcpstate"
)

// request is a step with the actor names resolved into addresses: what a
// child process needs to execute it.
type request struct {
	Step Step
	Addr netip.AddrPort
}

var (
	errTimeout = errors.New("timeout")
	errNoSock  = errors.New("EBADF")
	loopback   = netip.MustParseAddr("127.0.0.1")
)

// execFuncs are the socket steps; each returns the calls it made. It is a
// variable initialised before any init function runs, because a child
// process uses it from init (child.go).
var execFuncs = map[string]func(a *actor, req *request) []Call{
	"listen": (*actor).listen, "connect": (*actor).connect, "accept": (*actor).accept,
	"write": (*actor).write, "send": (*actor).send, "sendto": (*actor).sendto,
	"read": (*actor).read, "recv": (*actor).recv, "shutdown": (*actor).shutdown,
	"close": (*actor).close, "abort": (*actor).abort, "linger": (*actor).linger,
	"setsockopt": (*actor).setsockopt, "ioctl": (*actor).ioctl, "nonblock": (*actor).setNonblock,
	"dup": (*actor).dupFD, "use": (*actor).use, "udp": (*actor).udpSock,
	"disconnect": (*actor).disconnect, "getsockname": (*actor).sockName,
	"getpeername": (*actor).peerName, "wait": (*actor).waitState, "sigpipe": (*actor).sigpipe,
	"exit": (*actor).exitStep, "echo": (*actor).echo,
}

// exec runs one socket step and returns the calls it made, timed.
func (a *actor) exec(req *request) []Call {
	fn, ok := execFuncs[req.Step.Op]
	if !ok {
		return []Call{{Op: req.Step.Op, Result: "unsupported here"}}
	}
	return fn(a, req)
}

// timed runs fn as one call and fills in its duration and result.
func timed(op, args string, fn func() (string, error)) Call {
	t0 := time.Now()
	res, err := fn()
	end := time.Now()
	c := Call{Op: op, Args: args, Dur: end.Sub(t0), Result: res, At: end}
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

func waitOpt(st *Step) time.Duration {
	if v, ok := st.Opts["wait"]; ok {
		d, _ := parseDur(v)
		return d
	}
	return defaultWait
}

func (a *actor) socket(typ int) (int, error) {
	if a.mkSock != nil {
		return a.mkSock(typ)
	}
	return sys.Socket(false, typ)
}

// sockOpts applies the SO_* options of a step, in name order.
func sockOpts(fd int, st *Step) error {
	for _, name := range sockOptNames {
		if v, ok := st.Opts[name]; ok {
			n, _ := strconv.Atoi(v)
			if err := sys.SetSockInt(fd, name, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *actor) listen(req *request) []Call {
	st := &req.Step
	backlog := 128
	if v, ok := st.Opts["backlog"]; ok {
		backlog, _ = strconv.Atoi(v)
	}
	fd := a.prebound
	a.prebound = -1
	var calls []Call
	if fd < 0 {
		var bindCall Call
		fd, bindCall = a.bindNew(req)
		if calls = append(calls, bindCall); bindCall.Result != "ok" {
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
func (a *actor) bindNew(req *request) (int, Call) {
	fd, err := a.socket(sys.Stream)
	if err != nil {
		return -1, Call{Op: "socket", Result: errResult(err)}
	}
	if err := sockOpts(fd, &req.Step); err != nil {
		sys.Close(fd)
		return -1, Call{Op: "setsockopt", Result: errResult(err)}
	}
	addr := req.Addr
	if !addr.IsValid() {
		addr = netip.AddrPortFrom(loopback, 0)
	}
	c := timed("bind", addr.String(), func() (string, error) { return "ok", sys.Bind(fd, addr) })
	if c.Result != "ok" {
		sys.Close(fd)
		fd = -1
	}
	return fd, c
}

func (a *actor) connect(req *request) []Call {
	if a.udpMode {
		return []Call{timed("connect", req.Addr.String(), func() (string, error) {
			return "ok", sys.Connect(a.fd, req.Addr)
		})}
	}
	fd, err := a.socket(sys.Stream)
	if err == nil {
		err = sockOpts(fd, &req.Step)
	}
	if err != nil {
		return []Call{{Op: "socket", Result: errResult(err)}}
	}
	a.fd, a.orig = fd, fd
	nb := len(req.Step.Args) == 2
	args := req.Addr.String()
	if nb {
		args += " nonblock"
	}
	return []Call{timed("connect", args, func() (string, error) { return "ok", a.connectFD(req.Addr, nb, waitOpt(&req.Step)) })}
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
	defer sys.SetNonblock(a.fd, false)
	if sys.ErrnoName(err) != "EINPROGRESS" {
		return err
	}
	if ok, err := sys.Poll(a.fd, true, wait); err != nil || !ok {
		return errors.Join(err, errTimeout)
	}
	return sys.SockError(a.fd)
}

func (a *actor) accept(req *request) []Call {
	return []Call{timed("accept", "", func() (string, error) {
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
	ok, err := sys.Poll(fd, write, wait)
	if err != nil {
		return err
	}
	if !ok {
		return errTimeout
	}
	return nil
}

// payload is the bytes of a write/send argument: text, or N bytes of 'x'.
func payload(arg string) []byte {
	if n, err := strconv.Atoi(arg); err == nil {
		return []byte(strings.Repeat("x", n))
	}
	return []byte(arg)
}

func describe(arg string) string {
	if _, err := strconv.Atoi(arg); err == nil {
		return arg + " bytes"
	}
	return strconv.Quote(arg)
}

func quoteShort(p []byte) string {
	if len(p) > 64 {
		return strconv.Quote(string(p[:64])) + "…"
	}
	return strconv.Quote(string(p))
}

func (a *actor) write(req *request) []Call {
	arg := req.Step.Args[0]
	if arg == "fill" {
		return []Call{a.fill()}
	}
	p := payload(arg)
	c := timed("write", describe(arg), func() (string, error) {
		n, err := a.writeAll(p, waitOpt(&req.Step))
		if err != nil && n > 0 && !errors.Is(err, errTimeout) {
			err = nil // a partial write reports its count; the next call sees the error
		}
		return strconv.Itoa(n), err
	})
	return []Call{c}
}

// writeAll behaves like a blocking write(2) (all bytes, or an error) bounded
// by wait, or like a non-blocking one (one send) when O_NONBLOCK is set.
func (a *actor) writeAll(p []byte, wait time.Duration) (int, error) {
	deadline := time.Now().Add(wait)
	n := 0
	for n < len(p) {
		if err := a.ready(a.fd, true, time.Until(deadline)); err != nil {
			return n, err
		}
		m, err := sys.Send(a.fd, p[n:], true)
		n += max(m, 0)
		if a.nonblock || err != nil && sys.ErrnoName(err) != "EAGAIN" {
			return n, err
		}
	}
	return n, nil
}

// fill writes without blocking until the kernel answers EAGAIN: both the
// local send buffer and the peer's receive buffer are then full.
func (a *actor) fill() Call {
	return timed("write", "until EAGAIN", func() (string, error) {
		chunk := make([]byte, 64<<10)
		total := 0
		for total < maxFillBytes {
			m, err := sys.Send(a.fd, chunk, true)
			total += max(m, 0)
			if sys.ErrnoName(err) == "EAGAIN" {
				return strconv.Itoa(total), nil
			}
			if err != nil {
				return "", err
			}
		}
		return strconv.Itoa(total), nil
	})
}

func (a *actor) send(req *request) []Call {
	arg := req.Step.Args[0]
	return []Call{timed("send", describe(arg), func() (string, error) {
		n, err := sys.Send(a.fd, payload(arg), false)
		return strconv.Itoa(n), err
	})}
}

func (a *actor) sendto(req *request) []Call {
	arg := req.Step.Args[1]
	return []Call{timed("sendto", describe(arg)+" to "+req.Step.Args[0], func() (string, error) {
		p := payload(arg)
		return strconv.Itoa(len(p)), sys.SendTo(a.fd, p, req.Addr)
	})}
}

func (a *actor) read(req *request) []Call {
	st := &req.Step
	if len(st.Args) == 1 && st.Args[0] == "eof" {
		return []Call{a.readEOF(waitOpt(st), 64<<10, 0)}
	}
	if every, ok := st.Opts["every"]; ok {
		n, _ := strconv.Atoi(firstOr(st.Args, "4096"))
		d, _ := parseDur(every)
		return []Call{a.readEOF(waitOpt(st), n, d)}
	}
	n := 4096
	if len(st.Args) == 1 {
		n, _ = strconv.Atoi(st.Args[0])
	}
	var data string
	var got int
	c := timed("read", strconv.Itoa(n), func() (string, error) {
		if err := a.ready(a.fd, false, waitOpt(st)); err != nil {
			return "", err
		}
		buf := make([]byte, n)
		m, err := sys.Read(a.fd, buf)
		if err != nil {
			return "", err
		}
		data, got = quoteShort(buf[:m]), m
		return readResult(m), nil
	})
	c.Data, c.Bytes = data, got
	return []Call{c}
}

func readResult(n int) string {
	if n == 0 {
		return "EOF"
	}
	return strconv.Itoa(n)
}

// readEOF reads until EOF, an error or the wait, like the data-safe
// close's drain loop; the call's result is how the loop ended, Bytes how
// much came. every > 0 makes a slow reader: one read of n bytes per period.
func (a *actor) readEOF(wait time.Duration, n int, every time.Duration) Call {
	deadline := time.Now().Add(wait)
	buf := make([]byte, n)
	total := 0
	args := "until EOF"
	if every > 0 {
		args = fmt.Sprintf("%d every %v until EOF", n, every)
	}
	c := timed("read", args, func() (string, error) {
		for ; ; time.Sleep(every) {
			if err := a.ready(a.fd, false, time.Until(deadline)); err != nil {
				return "", err
			}
			m, err := sys.Read(a.fd, buf)
			if err != nil || m == 0 {
				return "EOF", err
			}
			total += m
		}
	})
	c.Data, c.Bytes = fmt.Sprintf("%d bytes", total), total
	return c
}

func (a *actor) recv(req *request) []Call {
	var data, from string
	var got int
	c := timed("recv", "", func() (string, error) {
		if err := a.ready(a.fd, false, waitOpt(&req.Step)); err != nil {
			return "", err
		}
		buf := make([]byte, 2048)
		m, src, err := sys.RecvFrom(a.fd, buf)
		if err != nil {
			return "", err
		}
		data, got, from = quoteShort(buf[:m]), m, "from "+a.nameOf(src)
		return strconv.Itoa(m), nil
	})
	c.Data, c.Bytes, c.Args = data, got, from
	return []Call{c}
}

// nameOf maps an address to an actor name in the parent; a child only knows
// addresses.
func (a *actor) nameOf(ap netip.AddrPort) string {
	if a.r != nil {
		if n := a.r.actorAt(ap); n != "" {
			return n
		}
	}
	return ap.String()
}

var shutHow = map[string]int{"rd": 0, "wr": 1, "rdwr": 2} // SHUT_RD, SHUT_WR, SHUT_RDWR

func (a *actor) shutdown(req *request) []Call {
	how := req.Step.Args[0]
	return []Call{timed("shutdown", how, func() (string, error) { return "ok", sys.Shutdown(a.fd, shutHow[how]) })}
}

// close closes the current socket (or the listener): with SO_LINGER
// {1,N} on a blocking socket this call is where the waiting happens (C18).
func (a *actor) close(req *request) []Call {
	target := &a.fd
	if len(req.Step.Args) == 1 {
		target = &a.listener
	}
	fd := *target
	c := timed("close", strings.Join(req.Step.Args, " "), func() (string, error) {
		if fd < 0 {
			return "", errNoSock
		}
		return "ok", sys.Close(fd)
	})
	for _, f := range []*int{&a.fd, &a.orig, &a.dup, &a.listener} {
		if *f == fd {
			*f = -1
		}
	}
	return []Call{c}
}

// abort is the abortive close: SO_LINGER {1,0} then close(2) (C17).
func (a *actor) abort(req *request) []Call {
	l := timed("setsockopt", "SO_LINGER {1,0}", func() (string, error) { return "ok", sys.Linger(a.fd, true, 0) })
	return append([]Call{l}, a.close(&request{Step: Step{Op: "close"}})...)
}

func (a *actor) linger(req *request) []Call {
	arg := req.Step.Args[0]
	on, sec := arg != "off", 0
	if on {
		sec, _ = strconv.Atoi(arg)
	}
	args := fmt.Sprintf("SO_LINGER {%d,%d}", map[bool]int{false: 0, true: 1}[on], sec)
	return []Call{timed("setsockopt", args, func() (string, error) { return "ok", sys.Linger(a.fd, on, sec) })}
}

func (a *actor) setsockopt(req *request) []Call {
	name, v := req.Step.Args[0], req.Step.Args[1]
	n, _ := strconv.Atoi(v)
	return []Call{timed("setsockopt", name+" "+v, func() (string, error) { return "ok", sys.SetSockInt(a.fd, name, n) })}
}

func (a *actor) ioctl(req *request) []Call {
	name := req.Step.Args[0]
	if _, ok := req.Step.Opts["until"]; ok {
		return []Call{a.sampleIoctl(req)}
	}
	return []Call{timed("ioctl", name, func() (string, error) {
		v, err := sys.IoctlInt(a.fd, sys.Ioctls[name])
		return strconv.Itoa(v), err
	})}
}

// sampleIoctl repeats a queue ioctl every period until it reads the until
// value (or the wait ends); Data lists the samples, the result is the last.
func (a *actor) sampleIoctl(req *request) Call {
	st := &req.Step
	name := st.Args[0]
	until, _ := strconv.Atoi(st.Opts["until"])
	every := 20 * time.Millisecond
	if v, ok := st.Opts["every"]; ok {
		every, _ = parseDur(v)
	}
	var samples []string
	deadline := time.Now().Add(waitOpt(st))
	c := timed("ioctl", fmt.Sprintf("%s every %v until %d", name, every, until), func() (string, error) {
		for ; ; time.Sleep(every) {
			v, err := sys.IoctlInt(a.fd, sys.Ioctls[name])
			if err != nil {
				return "", err
			}
			samples = append(samples, strconv.Itoa(v))
			if v == until {
				return strconv.Itoa(v), nil
			}
			if time.Now().After(deadline) {
				return "", errTimeout
			}
		}
	})
	c.Data = strings.Join(samples, " ")
	return c
}

func firstOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}

func (a *actor) setNonblock(req *request) []Call {
	on := len(req.Step.Args) == 0 || req.Step.Args[0] == "on"
	return []Call{timed("fcntl", "O_NONBLOCK "+map[bool]string{true: "on", false: "off"}[on], func() (string, error) {
		err := sys.SetNonblock(a.fd, on)
		if err == nil {
			a.nonblock = on
		}
		return "ok", err
	})}
}

func (a *actor) dupFD(*request) []Call {
	return []Call{timed("dup", "", func() (string, error) {
		fd, err := sys.Dup(a.fd)
		if err == nil {
			a.dup = fd
		}
		return "ok", err
	})}
}

// use switches the socket later steps act on (after dup).
func (a *actor) use(req *request) []Call {
	if req.Step.Args[0] == "dup" {
		a.fd = a.dup
	} else {
		a.fd = a.orig
	}
	return nil
}

func (a *actor) udpSock(*request) []Call {
	fd := a.udp
	a.udp = -1
	c := timed("socket", "udp", func() (string, error) {
		if fd >= 0 {
			return "ok", nil
		}
		var err error
		if fd, err = a.socket(sys.Dgram); err == nil {
			err = sys.Bind(fd, netip.AddrPortFrom(loopback, 0))
		}
		return "ok", err
	})
	a.fd, a.orig = fd, fd
	return []Call{c}
}

func (a *actor) disconnect(*request) []Call {
	return []Call{timed("connect", "AF_UNSPEC", func() (string, error) { return "ok", sys.Disconnect(a.fd) })}
}

func (a *actor) sockName(*request) []Call {
	var ap netip.AddrPort
	c := timed("getsockname", "", func() (string, error) {
		var err error
		ap, err = sys.SockName(a.fd)
		return "ok", err
	})
	c.Data = ap.String()
	return []Call{c}
}

func (a *actor) peerName(*request) []Call {
	var ap netip.AddrPort
	c := timed("getpeername", "", func() (string, error) {
		var err error
		ap, err = sys.PeerName(a.fd)
		return "ok", err
	})
	if ap.IsValid() {
		c.Data = a.nameOf(ap)
	}
	return []Call{c}
}

// waitState polls TCP_INFO's state every 2 ms: no privilege needed, so
// scripts stay deterministic without root.
func (a *actor) waitState(req *request) []Call {
	want, _ := tcpstate.Parse(req.Step.Args[1])
	wait := waitOpt(&req.Step)
	return []Call{timed("wait", "state "+want.String(), func() (string, error) {
		for deadline := time.Now().Add(wait); ; time.Sleep(2 * time.Millisecond) {
			st, err := sys.TCPState(a.fd)
			if err != nil || tcpstate.State(st) == want {
				return "ok", err
			}
			if time.Now().After(deadline) {
				return "", errTimeout
			}
		}
	})}
}

func (a *actor) sigpipe(req *request) []Call {
	how := req.Step.Args[0]
	return []Call{timed("signal", "SIGPIPE "+how, func() (string, error) {
		if how == "default" && a.r != nil {
			return "", fmt.Errorf("sigpipe default needs a process actor (`actor NAME process`)")
		}
		if how == "default" {
			return "ok", sys.SetSigpipeDefault()
		}
		return "ok", nil // in-process and Go children: the runtime already ignores it for sockets
	})}
}

func (a *actor) exitStep(*request) []Call {
	return []Call{{Op: "exit", Result: "exit needs a process actor (`actor NAME process`)"}}
}

// echo reads and writes back until EOF (the server half of the data-safe
// close, C22); the call's Bytes is how much was echoed.
func (a *actor) echo(req *request) []Call {
	deadline := time.Now().Add(waitOpt(&req.Step))
	buf := make([]byte, 64<<10)
	total := 0
	c := timed("echo", "until EOF", func() (string, error) {
		for {
			if err := a.ready(a.fd, false, time.Until(deadline)); err != nil {
				return "", err
			}
			m, err := sys.Read(a.fd, buf)
			if err != nil || m == 0 {
				return "EOF", err
			}
			if _, err := a.writeAll(buf[:m], time.Until(deadline)); err != nil {
				return "", err
			}
			total += m
		}
	})
	c.Bytes = total
	return []Call{c}
}
