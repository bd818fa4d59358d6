package runner

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
)

// payload is the bytes of argument i of a write/send: text, or N bytes of
// 'x' for a bare number N (quoted "123" is the text 123).
func payload(st *lab.Step, i int) []byte {
	if n, ok := st.Size(i); ok {
		return []byte(strings.Repeat("x", n))
	}
	return []byte(st.Args[i])
}

func describe(st *lab.Step, i int) string {
	if _, ok := st.Size(i); ok {
		return st.Args[i] + " bytes"
	}
	return strconv.Quote(st.Args[i])
}

func quoteShort(p []byte) string {
	if len(p) > 64 {
		return strconv.Quote(string(p[:64])) + "…"
	}
	return strconv.Quote(string(p))
}

func (a *actor) write(req *request) []lab.Call {
	if req.Step.Word(0, "fill") {
		return []lab.Call{a.fill()}
	}
	p := payload(&req.Step, 0)
	c := timed("write", describe(&req.Step, 0), func() (string, error) {
		n, err := a.writeAll(p, waitOpt(&req.Step))
		if err != nil && n > 0 && !errors.Is(err, errTimeout) {
			err = nil // a partial write reports its count; the next call sees the error
		}
		return strconv.Itoa(n), err
	})
	return []lab.Call{c}
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

// fill writes without blocking until the kernel answers EAGAIN and the
// socket stays unwritable for 20 ms: both the local send buffer and the
// peer's receive buffer are then full (a single EAGAIN can be momentary,
// while loopback is still moving data into the peer's queue).
func (a *actor) fill() lab.Call {
	total := 0
	c := timed("write", "until EAGAIN", func() (string, error) {
		chunk := make([]byte, 64<<10)
		for total < maxFillBytes {
			m, err := sys.Send(a.fd, chunk, true)
			total += max(m, 0)
			if sys.ErrnoName(err) == "EAGAIN" {
				if ok, perr := a.poll(a.fd, true, 20*time.Millisecond); ok && perr == nil {
					continue
				}
				return strconv.Itoa(total), nil
			}
			if err != nil {
				return "", err
			}
		}
		return strconv.Itoa(total), nil
	})
	c.Bytes = total
	return c
}

func (a *actor) send(req *request) []lab.Call {
	st := &req.Step
	return []lab.Call{timed("send", describe(st, 0), func() (string, error) {
		n, err := sys.Send(a.fd, payload(st, 0), false)
		return strconv.Itoa(n), err
	})}
}

func (a *actor) sendto(req *request) []lab.Call {
	st := &req.Step
	return []lab.Call{timed("sendto", describe(st, 1)+" to "+st.Args[0], func() (string, error) {
		p := payload(st, 1)
		return strconv.Itoa(len(p)), sys.SendTo(a.fd, p, req.Addr)
	})}
}

func (a *actor) read(req *request) []lab.Call {
	st := &req.Step
	if len(st.Args) == 1 && st.Args[0] == "eof" {
		return []lab.Call{a.readEOF(waitOpt(st), 64<<10, 0)}
	}
	if every, ok := st.Opts["every"]; ok {
		n, _ := strconv.Atoi(firstOr(st.Args, "4096"))
		d, _ := lab.ParseDuration(every)
		return []lab.Call{a.readEOF(waitOpt(st), n, d)}
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
	return []lab.Call{c}
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
func (a *actor) readEOF(wait time.Duration, n int, every time.Duration) lab.Call {
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
			if a.cancelled() {
				return "", errCancelled
			}
		}
	})
	c.Data, c.Bytes = fmt.Sprintf("%d bytes", total), total
	return c
}

func (a *actor) recv(req *request) []lab.Call {
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
	return []lab.Call{c}
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

func firstOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}

// echo reads and writes back until EOF (the server half of the data-safe
// close, C22); the call's Bytes is how much was echoed.
func (a *actor) echo(req *request) []lab.Call {
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
	return []lab.Call{c}
}
