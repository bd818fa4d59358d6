package runner

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/tcpstate"
)

func (a *actor) shutdown(req *request) []lab.Call {
	how := req.Step.Args[0]
	return []lab.Call{timed("shutdown", how, func() (string, error) { return "ok", sys.Shutdown(a.fd, shutHow[how]) })}
}

// close closes the current socket (or the listener): with SO_LINGER
// {1,N} on a blocking socket this call is where the waiting happens (C18).
func (a *actor) close(req *request) []lab.Call {
	target := &a.fd
	if len(req.Step.Args) == 1 {
		target = &a.listener
	}
	fd := *target
	c := timed("close", strings.Join(req.Step.Args, " "), func() (string, error) {
		if fd < 0 {
			return "", errNoSock
		}
		return "ok", closeSock(fd)
	})
	for _, f := range []*int{&a.fd, &a.orig, &a.dup, &a.listener} {
		if *f == fd {
			*f = -1
		}
	}
	return []lab.Call{c}
}

// abort is the abortive close: SO_LINGER {1,0} then close(2) (C17).
func (a *actor) abort(req *request) []lab.Call {
	l := timed("setsockopt", "SO_LINGER {1,0}", func() (string, error) { return "ok", sys.Linger(a.fd, true, 0) })
	return append([]lab.Call{l}, a.close(&request{Step: lab.Step{Op: "close"}})...)
}

func (a *actor) linger(req *request) []lab.Call {
	arg := req.Step.Args[0]
	on, sec := arg != "off", 0
	if on {
		sec, _ = strconv.Atoi(arg)
	}
	args := fmt.Sprintf("SO_LINGER {%d,%d}", map[bool]int{false: 0, true: 1}[on], sec)
	return []lab.Call{timed("setsockopt", args, func() (string, error) { return "ok", sys.Linger(a.fd, on, sec) })}
}

func (a *actor) setsockopt(req *request) []lab.Call {
	name, v := req.Step.Args[0], req.Step.Args[1]
	n, _ := strconv.Atoi(v)
	return []lab.Call{timed("setsockopt", name+" "+v, func() (string, error) { return "ok", sys.SetSockInt(a.fd, name, n) })}
}

func (a *actor) ioctl(req *request) []lab.Call {
	name := req.Step.Args[0]
	if _, ok := req.Step.Opts["until"]; ok {
		return []lab.Call{a.sampleIoctl(req)}
	}
	return []lab.Call{timed("ioctl", name, func() (string, error) {
		v, err := sys.IoctlInt(a.fd, sys.Ioctls[name])
		return strconv.Itoa(v), err
	})}
}

// sampleIoctl repeats a queue ioctl every period until it reads the until
// value (or the wait ends); Data lists the samples, the result is the last.
func (a *actor) sampleIoctl(req *request) lab.Call {
	st := &req.Step
	name := st.Args[0]
	until, _ := strconv.Atoi(st.Opts["until"])
	every := 20 * time.Millisecond
	if v, ok := st.Opts["every"]; ok {
		every, _ = lab.ParseDuration(v)
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
			if a.cancelled() {
				return "", errCancelled
			}
		}
	})
	c.Data = strings.Join(samples, " ")
	return c
}

func (a *actor) setNonblock(req *request) []lab.Call {
	on := len(req.Step.Args) == 0 || req.Step.Args[0] == "on"
	return []lab.Call{timed("fcntl", "O_NONBLOCK "+map[bool]string{true: "on", false: "off"}[on], func() (string, error) {
		err := sys.SetNonblock(a.fd, on)
		if err == nil {
			a.nonblock = on
		}
		return "ok", err
	})}
}

func (a *actor) dupFD(*request) []lab.Call {
	return []lab.Call{timed("dup", "", func() (string, error) {
		fd, err := sys.Dup(a.fd)
		if err == nil {
			a.dup = fd
		}
		return "ok", err
	})}
}

// use switches the socket later steps act on (after dup).
func (a *actor) use(req *request) []lab.Call {
	if req.Step.Args[0] == "dup" {
		a.fd = a.dup
	} else {
		a.fd = a.orig
	}
	return nil
}

func (a *actor) udpSock(*request) []lab.Call {
	fd := a.udp
	a.udp = -1
	c := timed("socket", "udp", func() (string, error) {
		if fd >= 0 {
			return "ok", nil
		}
		var err error
		if fd, err = a.socket(sys.Dgram); err == nil {
			err = sys.Bind(fd, netip.AddrPortFrom(a.addr(), 0))
		}
		return "ok", err
	})
	a.fd, a.orig = fd, fd
	return []lab.Call{c}
}

func (a *actor) disconnect(*request) []lab.Call {
	return []lab.Call{timed("connect", "AF_UNSPEC", func() (string, error) { return "ok", sys.Disconnect(a.fd) })}
}

func (a *actor) sockName(*request) []lab.Call {
	var ap netip.AddrPort
	c := timed("getsockname", "", func() (string, error) {
		var err error
		ap, err = sys.SockName(a.fd)
		return "ok", err
	})
	c.Data = ap.String()
	return []lab.Call{c}
}

func (a *actor) peerName(*request) []lab.Call {
	var ap netip.AddrPort
	c := timed("getpeername", "", func() (string, error) {
		var err error
		ap, err = sys.PeerName(a.fd)
		return "ok", err
	})
	if ap.IsValid() {
		c.Data = a.nameOf(ap)
	}
	return []lab.Call{c}
}

// waitState polls TCP_INFO's state every 2 ms: no privilege needed, so
// scripts stay deterministic without root.
func (a *actor) waitState(req *request) []lab.Call {
	want, _ := tcpstate.Parse(req.Step.Args[1])
	wait := waitOpt(&req.Step)
	return []lab.Call{timed("wait", "state "+want.String(), func() (string, error) {
		for deadline := time.Now().Add(wait); ; time.Sleep(2 * time.Millisecond) {
			st, err := sys.TCPState(a.fd)
			if err != nil || tcpstate.State(st) == want {
				return "ok", err
			}
			if time.Now().After(deadline) {
				return "", errTimeout
			}
			if a.cancelled() {
				return "", errCancelled
			}
		}
	})}
}

func (a *actor) sigpipe(req *request) []lab.Call {
	how := req.Step.Args[0]
	return []lab.Call{timed("signal", "SIGPIPE "+how, func() (string, error) {
		if how == "default" && a.r != nil {
			return "", fmt.Errorf("sigpipe default needs a process actor (`actor NAME process`)")
		}
		if how == "default" {
			return "ok", sys.SetSigpipeDefault()
		}
		return "ok", nil // in-process and Go children: the runtime already ignores it for sockets
	})}
}

// exitNotProcess answers `exit` on a thread actor, which has no process to end.
func (a *actor) exitNotProcess(*request) []lab.Call {
	return []lab.Call{{Op: "exit", Result: "exit needs a process actor (`actor NAME process`)"}}
}

var shutHow = map[string]int{"rd": 0, "wr": 1, "rdwr": 2} // SHUT_RD, SHUT_WR, SHUT_RDWR
