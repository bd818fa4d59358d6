package runner

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
)

// actor is one participant's sockets and script. In-process actors make
// their calls here; process actors forward them to their child (child.go).
type actor struct {
	name     string
	process  bool
	r        *run
	fd       int // the socket most steps act on
	orig     int // the socket as created (for `use orig`)
	dup      int // the duplicate of `dup`
	listener int
	prebound int // socket bound at setup for the first listen, -1 when used
	udp      int // UDP socket bound at setup, -1 when used
	nonblock bool
	udpMode  bool // the current socket is UDP (known to the parent too)
	child    *child
	holders  []*child                   // fork-holder children
	waited   map[string]int             // wait packet: how many of each were waited for
	dead     string                     // how the child process ended, once it did
	mkSock   func(typ int) (int, error) // creates sockets in the scenario's namespace
	ip       netip.Addr                 // what its sockets bind to: 127.0.0.1, or its host's address on the wire
}

// addr is the address the actor's sockets bind to (127.0.0.1 unless the
// run set its host's).
func (a *actor) addr() netip.Addr {
	if a.ip.IsValid() {
		return a.ip
	}
	return loopback
}

const (
	maxFillBytes = 64 << 20 // write fill stops here whatever happens
)

// run executes the actor's steps in order; the first error that is not a
// kernel answer (a broken script, a cancelled run) ends it.
func (a *actor) run(steps []*lab.Step) error {
	for _, st := range steps {
		if err := a.r.ctx.Err(); err != nil {
			return fmt.Errorf("%s:%d: %s: run cancelled", a.r.s.File, st.Line, a.name)
		}
		if err := a.step(st); err != nil {
			return fmt.Errorf("%s:%d: %s %s: %w", a.r.s.File, st.Line, a.name, st.Op, err)
		}
	}
	return nil
}

// do runs a socket step here or in the actor's child process.
func (a *actor) do(st *lab.Step) error {
	req := a.request(st)
	if a.child != nil {
		err := a.remote(req)
		a.afterStep(st)
		return err
	}
	a.local(req)
	a.afterStep(st)
	return nil
}

// afterStep lets actors waiting to connect know a listener is up.
func (a *actor) afterStep(st *lab.Step) {
	if st.Op == "listen" {
		a.r.markReady(a.name)
	}
}

func (a *actor) sleep(d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-a.r.ctx.Done():
		return a.r.ctx.Err()
	}
}

func (a *actor) signal(name string) {
	ch := a.r.barrier(name)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// addrOf is where `connect NAME` goes: NAME's listener or UDP socket, or
// the reserved closed port. It waits for the listener to exist.
func (r *run) addrOf(name string, udp bool) netip.AddrPort {
	if ch, ok := r.ready[name]; ok && !udp {
		select {
		case <-ch:
		case <-time.After(lab.BarrierWait):
		case <-r.ctx.Done():
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if udp || name == "closed" {
		return r.udpAt[name]
	}
	return r.listenAt[name]
}

// local executes a socket step in this process and records it.
func (a *actor) local(req *request) {
	t0 := time.Now()
	calls := a.exec(req)
	for _, c := range calls {
		if c.Dur == 0 {
			c.Dur = time.Since(t0)
		}
		a.r.recordCall(a.name, c)
	}
	a.registerSocks()
}

// registerSocks tells the run which addresses the actor's sockets have.
func (a *actor) registerSocks() {
	for _, fd := range []int{a.fd, a.dup, a.listener} {
		if fd < 0 {
			continue
		}
		l, _ := sys.SockName(fd)
		p, _ := sys.PeerName(fd)
		a.r.addSock(l, p, a.name)
	}
}

// recordCall puts a call on the timeline at the moment it returned (when
// known: the runner may get to record it a little later).
func (r *run) recordCall(actor string, c lab.Call) {
	c.Actor = actor
	if c.At.IsZero() {
		c.At = time.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, lab.Event{T: c.At.Sub(r.start), Kind: lab.KindCall, Call: &c})
}

// result turns a system call's outcome into the timeline's words.
func result(n int, err error) string {
	if err != nil {
		if name := sys.ErrnoName(err); name != "" {
			return name
		}
		return err.Error()
	}
	return strconv.Itoa(n)
}

func okOr(err error) string {
	if err != nil {
		return result(0, err)
	}
	return "ok"
}

func (a *actor) cleanup() {
	closed := map[int]bool{}
	for _, fd := range []int{a.fd, a.orig, a.dup, a.listener, a.prebound, a.udp} {
		if fd >= 0 && !closed[fd] {
			closed[fd] = true
			_ = closeSock(fd)
		}
	}
	a.fd, a.orig, a.dup, a.listener, a.prebound, a.udp = -1, -1, -1, -1, -1, -1
	if a.child != nil {
		a.child.stop()
	}
	for _, h := range a.holders {
		h.stop()
	}
}
