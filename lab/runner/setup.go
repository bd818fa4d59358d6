package runner

import (
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
)

// prebind creates, before the scenario's clock starts, the socket of each
// actor's first `listen` and first `udp` step, bound to a port the kernel
// picks. The ports are then known before any packet flows, so the
// recorders can filter on them and scenarios never collide (each has its
// own ports). The socket options of that listen step are applied before
// bind, where SO_REUSEADDR must be set (C23).
func (r *run) prebind() error {
	for _, decl := range r.s.Actors {
		a := r.actors[decl.Name]
		a.mkSock, a.ip = r.socketMaker(decl.Name), r.localIP(decl.Name)
		if err := r.prebindActor(a); err != nil {
			return err
		}
	}
	if r.usesClosedPort() {
		return r.reserveClosed()
	}
	return nil
}

func (r *run) socketMaker(actor string) func(int) (int, error) {
	return func(typ int) (fd int, err error) {
		err = r.inHost(actor, func() error {
			fd, err = sys.Socket(r.ipv6(), typ)
			return err
		})
		return fd, err
	}
}

// A process actor's sockets are bound here too, in the parent, and handed
// to its child when it starts (startChildren).
func (r *run) prebindActor(a *actor) error {
	for _, st := range r.stepsOf(a.name) {
		switch {
		case st.Op == "listen" && st.Opts["port"] == "" && a.prebound < 0 && !r.hasListen(a.name):
			fd, ap, err := r.bindNew(a, sys.Stream, st)
			if err != nil {
				return err
			}
			a.prebound, r.listenAt[a.name] = fd, ap
		case st.Op == "udp" && a.udp < 0:
			fd, ap, err := r.bindNew(a, sys.Dgram, st)
			if err != nil {
				return err
			}
			a.udp, r.udpAt[a.name] = fd, ap
		}
	}
	return nil
}

func (r *run) hasListen(name string) bool {
	_, ok := r.listenAt[name]
	return ok
}

// bindNew makes a socket bound to 127.0.0.1 on a kernel-chosen port.
func (r *run) bindNew(a *actor, typ int, st *lab.Step) (int, netip.AddrPort, error) {
	fd, err := a.mkSock(typ)
	if err != nil {
		return -1, netip.AddrPort{}, fmt.Errorf("%s:%d: socket: %w", r.s.File, st.Line, err)
	}
	if err = sockOpts(fd, st); err == nil {
		err = r.bindPort(fd, a.addr())
	}
	var ap netip.AddrPort
	if err == nil {
		ap, err = sys.SockName(fd)
	}
	if err != nil {
		_ = closeSock(fd)
		return -1, ap, fmt.Errorf("%s:%d: bind 127.0.0.1:0: %w", r.s.File, st.Line, err)
	}
	r.addSock(ap, netip.AddrPort{}, a.name)
	return fd, ap, nil
}

// nextPort spreads the ports of scenarios running in namespaces over
// 20000–29999: below the ephemeral range, so no connection of the host
// uses them as its source port, which matters because the state
// tracepoints are global and are filtered by port.
var nextPort atomic.Uint32

func init() { nextPort.Store(uint32(time.Now().UnixNano() % 10000)) }

// bindPort binds fd to 127.0.0.1: on the host to a port the kernel picks,
// in the run's own namespace to the next port of 20000–29999 that is free
// there and that the run could claim on the host.
func (r *run) bindPort(fd int, ip netip.Addr) error {
	if r.ns == nil && r.w == nil {
		return sys.Bind(fd, netip.AddrPortFrom(ip, 0))
	}
	var err error
	for range 50 {
		p := 20000 + uint16(nextPort.Add(1)%10000)
		if !r.claim(p) {
			err = fmt.Errorf("port %d is taken on the host", p)
			continue
		}
		if err = sys.Bind(fd, netip.AddrPortFrom(ip, p)); sys.ErrnoName(err) != "EADDRINUSE" {
			return err
		}
	}
	return err
}

// claim binds a TCP socket to 127.0.0.1:p in the host's namespace and keeps
// it until the run ends. The state tracepoints are global: a run's tracer
// sees every namespace's sockets on its ports, so two lab processes (or a
// host program) on the same port number would mix their transitions. Every
// run claims its ports on the host first, and a port that some other socket
// holds there is skipped.
func (r *run) claim(p uint16) bool {
	if inUserNS {
		return true // alone in its namespaces, and no tracer to mislead
	}
	fd, err := sys.Socket(false, sys.Stream)
	if err != nil {
		return true // no worse than before: the port is still used
	}
	if sys.Bind(fd, netip.AddrPortFrom(loopback, p)) != nil {
		_ = closeSock(fd)
		return false
	}
	r.mu.Lock()
	r.claimed = append(r.claimed, fd)
	r.mu.Unlock()
	return true
}

func (r *run) usesClosedPort() bool {
	for _, st := range r.s.Steps {
		for _, ref := range lab.StepRefs(&st) {
			if ref == "closed" {
				return true
			}
		}
	}
	return false
}

// reserveClosed finds a port nobody listens on: bind a UDP socket to a
// kernel-chosen port and close it again. Packets to it draw an ICMP port
// unreachable (UDP) or an RST (TCP), which is what scenarios want to show.
func (r *run) reserveClosed() error {
	tmp := &actor{name: "closed", mkSock: r.socketMaker("closed"), ip: r.localIP("closed"), fd: -1}
	fd, ap, err := r.bindNew(tmp, sys.Dgram, &lab.Step{})
	if err != nil {
		return err
	}
	_ = closeSock(fd)
	r.udpAt["closed"], r.listenAt["closed"] = ap, ap
	return nil
}

// startChildren starts the process actors before the clock starts, so a
// `kill` in another actor's script always finds its target.
func (r *run) startChildren() error {
	for _, decl := range r.s.Actors {
		if !decl.Process {
			continue
		}
		// Started on a thread inside the run's namespace, the child
		// inherits it: its sockets live next to the others.
		a := r.actors[decl.Name]
		mode, socks := childSockets(a)
		var c *child
		err := r.inHost(decl.Name, func() (err error) {
			c, err = startChild(r.ctx, mode, socks...)
			return err
		})
		for _, f := range socks {
			f.Close() // the child has its own reference: exit or kill ends the socket
		}
		a.prebound, a.udp = -1, -1
		if err != nil {
			return err
		}
		a.child = c
	}
	return nil
}

// childSockets wraps a process actor's pre-bound sockets for its child,
// which finds them from descriptor 5 on (3 and 4 are its pipes), and names
// them in the child's mode: "actor listen=5 udp=6".
func childSockets(a *actor) (string, []*os.File) {
	mode := "actor"
	var files []*os.File
	for _, s := range []struct {
		name string
		fd   int
	}{{"listen", a.prebound}, {"udp", a.udp}} {
		if s.fd >= 0 {
			mode += fmt.Sprintf(" %s=%d", s.name, 5+len(files))
			files = append(files, os.NewFile(uintptr(s.fd), s.name))
		}
	}
	return mode, files
}

func (r *run) markReady(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.ready[name]
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// actorAt names the actor whose socket has local address ap.
func (r *run) actorAt(ap netip.AddrPort) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return lookupActor(r.socks, ap, netip.AddrPort{})
}

// wait handles `wait NAME`, `wait packet FLAGS` and `wait state STATE`.
func (a *actor) wait(st *lab.Step) error {
	switch {
	case len(st.Args) == 1:
		return a.waitBarrier(st)
	case st.Args[0] == "packet":
		a.waitPacket(st)
		return nil
	}
	return a.do(st)
}

func (a *actor) waitBarrier(st *lab.Step) error {
	wait := lab.BarrierWait
	if _, ok := st.Opts["wait"]; ok {
		wait = waitOpt(st)
	}
	select {
	case <-a.r.barrier(st.Args[0]):
		return nil
	case <-time.After(wait):
		return fmt.Errorf("nobody signalled %q within %v", st.Args[0], wait)
	case <-a.r.ctx.Done():
		return a.r.ctx.Err()
	}
}

// waitPacket waits for the k-th packet with the given flags (from an
// actor) where k counts this actor's waits for it: scripts stay
// deterministic without sleeping. Without a capture it cannot know, so it
// only pauses briefly and the timeline says so.
func (a *actor) waitPacket(st *lab.Step) {
	flags, from := st.Args[1], st.Opts["from"]
	if a.waited == nil {
		a.waited = map[string]int{}
	}
	key := flags + ">" + from
	a.waited[key]++
	k := a.waited[key]
	wait := waitOpt(st)
	if !a.r.wire {
		_ = a.sleep(min(wait, 200*time.Millisecond)) // ends early only when the run is cancelled, which the step loop checks
		return
	}
	deadline := time.After(wait)
	for {
		n, ch := a.r.countSegs(flags, from)
		if n >= k {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			a.r.note(a.name, "wait packet %s: none within %v", flags, wait)
			return
		case <-a.r.ctx.Done():
			return
		}
	}
}

// countSegs counts the captured TCP segments with flags sent by actor from
// ("" = anyone) and returns the channel closed on the next segment.
func (r *run) countSegs(flags, from string) (int, chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	count := func(s *capture.Segment) {
		if s.Proto == capture.TCP && lab.MatchFlags(flags, s.Flags.String()) && (from == "" || lookupActor(r.socks, s.Src, s.Dst) == from) {
			n++
		}
	}
	for i := range r.segs {
		count(&r.segs[i])
	}
	for i := range r.wireEvs {
		// Every packet a host put on the wire, as a condition counts them.
		if e := &r.wireEvs[i]; e.Action != wire.Delivered && e.Action != wire.Injected {
			count(&e.Seg)
		}
	}
	return n, r.segCh
}
