package runner

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
)

// A wire scenario runs on two hosts joined by the lab's wire (package
// lab/wire): each actor's sockets live in its host's namespace, the
// `wire:` lane arms the wire's rules while the actors run, and the wire,
// which sees every packet, is the capture point: no AF_PACKET here.

// setupWire builds the two hosts and sets each host's sysctls.
func (r *run) setupWire() error {
	if os.Geteuid() != 0 {
		return r.wireNeedsRoot()
	}
	cfg := &wire.Config{IPv6: r.s.Wire.IPv6, Link: r.s.Wire.Link, Actors: r.s.WireActors(), OnEvent: r.addWireEvent}
	// The wire lives until cleanup, which also runs on Ctrl-C once the
	// actors have stopped: closing it on the context instead would remove
	// the hosts while set-up or the recorders still enter them.
	w, err := wire.New(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("scenario %s needs the lab's wire: %w", r.s.Name, err)
	}
	r.w = w
	for _, sc := range r.s.Sysctls {
		if !lab.InVariant(sc.Variants, r.variant) {
			continue
		}
		if err := r.wireSysctl(sc); err != nil {
			return err
		}
	}
	return nil
}

// wireNeedsRoot says why a wire scenario cannot run without root. Running
// inside an unprivileged user namespace (wire.UserNS) is what issue 13
// asks for; until the runner re-executes itself there, the scenario is
// skipped with the reason.
func (r *run) wireNeedsRoot() error {
	reason := "the lab's wire creates network namespaces and TUN devices"
	if err := wire.Preflight(); err != nil {
		reason = err.Error()
	}
	return fmt.Errorf("%w: scenario %s runs on the lab's wire: %s (run it as root, e.g. with sudo)", lab.ErrNeedsRoot, r.s.Name, reason)
}

// wireSysctl sets a sysctl on its host, or on both (only inside their own
// namespaces, opened beneath /proc/sys/net: netns.SetSysctl).
func (r *run) wireSysctl(sc lab.Sysctl) error {
	for _, h := range []wire.Host{wire.A, wire.B} {
		if sc.Host != "" && sc.Host != h.String() {
			continue
		}
		if err := r.w.NS(h).SetSysctl(sc.Name, sc.Value); err != nil {
			return fmt.Errorf("%s:%d: sysctl %s=%s on host %s: %w", r.s.File, sc.Line, sc.Name, sc.Value, h, err)
		}
	}
	return nil
}

// hostNS is the namespace of an actor's host, or nil outside wire
// scenarios (and for names that are no actor: the reserved closed port
// lives on host b).
func (r *run) hostNS(actor string) *netns.NS {
	if r.w == nil {
		return nil
	}
	if r.s.HostOf(actor) == "a" {
		return r.w.NS(wire.A)
	}
	return r.w.NS(wire.B)
}

// inHost runs fn where actor's sockets live: its host on the wire, else
// the scenario's namespace.
func (r *run) inHost(actor string, fn func() error) error {
	if ns := r.hostNS(actor); ns != nil {
		return ns.Do(fn)
	}
	return r.inNS(fn)
}

// localIP is the address an actor binds its sockets to: its host's on
// the wire, else 127.0.0.1.
func (r *run) localIP(actor string) netip.Addr {
	if r.w == nil {
		return loopback
	}
	if r.s.HostOf(actor) == "a" {
		return r.w.Addr(wire.A)
	}
	return r.w.Addr(wire.B)
}

func (r *run) ipv6() bool { return r.s.Wire != nil && r.s.Wire.IPv6 }

// addWireEvent is the wire's OnEvent: it runs on the forwarding path with
// the wire's lock held, so it only appends.
func (r *run) addWireEvent(e wire.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.wireOn || r.wireDone {
		return // before the recorders started, or cleanup's closing
	}
	r.wireEvs = append(r.wireEvs, e)
	close(r.segCh)
	r.segCh = make(chan struct{})
}

// stopWireEvents ends the recording of the wire's packets: what cleanup
// sends afterwards is not part of the scenario.
func (r *run) stopWireEvents() {
	r.mu.Lock()
	r.wireDone = true
	r.mu.Unlock()
}

// ourWireAddr reports whether a traced socket is on the wire's hosts:
// tracepoints are global, and other runs use the same port numbers on
// other addresses.
func (r *run) ourWireAddr(local, remote netip.AddrPort) bool {
	a, b := wire.Addrs(r.ipv6())
	for _, ap := range []netip.AddrPort{local, remote} {
		if ip := ap.Addr().Unmap(); ip == a || ip == b {
			return true
		}
	}
	return false
}

// runWireLane runs the `wire:` lane: fault steps armed on the wire in
// order, with sleep, wait NAME and signal NAME between them. Each fault
// step is a note on the timeline.
func (r *run) runWireLane(steps []*lab.Step) error {
	a := &actor{name: lab.WireLane, r: r, fd: -1, orig: -1, dup: -1, listener: -1, prebound: -1, udp: -1}
	for _, st := range steps {
		if err := r.ctx.Err(); err != nil {
			return fmt.Errorf("%s:%d: wire: run cancelled", r.s.File, st.Line)
		}
		err := r.wireStep(a, st)
		if err != nil {
			return fmt.Errorf("%s:%d: wire %s: %w", r.s.File, st.Line, st.Op, err)
		}
	}
	return nil
}

func (r *run) wireStep(a *actor, st *lab.Step) error {
	if st.Wire == nil {
		return a.step(st)
	}
	if err := r.w.Apply(*st.Wire); err != nil {
		return err
	}
	r.note("", "wire: %s", st.Wire.Text)
	return nil
}

// startWireLane starts the wire lane next to the actors, counted in wg;
// once wg is done, the returned error is the lane's.
func (r *run) startWireLane(wg *sync.WaitGroup) *error {
	var err error
	steps := r.stepsOf(lab.WireLane)
	if r.w == nil || len(steps) == 0 {
		return &err
	}
	// The lane's first rules are armed before any actor starts: "from the
	// start" must not race with an actor's first packets (an abort's RST
	// left 10 ms after the start under load, before the lane's goroutine
	// had run).
	a := &actor{name: lab.WireLane, r: r, fd: -1, orig: -1, dup: -1, listener: -1, prebound: -1, udp: -1}
	for len(steps) > 0 && steps[0].Wire != nil {
		if err = r.wireStep(a, steps[0]); err != nil {
			err = fmt.Errorf("%s:%d: wire %s: %w", r.s.File, steps[0].Line, steps[0].Op, err)
			r.cancel()
			return &err
		}
		steps = steps[1:]
	}
	if len(steps) == 0 {
		return &err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err = r.runWireLane(steps); err != nil {
			r.cancel()
		}
	}()
	return &err
}

// wireNamespaces are the two hosts' namespaces, whose socket tables a
// snapshot reads.
func (r *run) wireNamespaces() []*netns.NS {
	return []*netns.NS{r.w.NS(wire.A), r.w.NS(wire.B)}
}

// closeWire removes the hosts; the TUN devices go with their descriptors.
func (r *run) closeWire() {
	if r.w != nil {
		if err := r.w.Close(); err != nil {
			r.notes = append(r.notes, err.Error())
		}
	}
}

// oneWay is the wire's one-way delay: half its rtt.
func (r *run) oneWay() time.Duration {
	if r.s.Wire == nil {
		return 0
	}
	return r.s.Wire.Link.RTT / 2
}

// wireSettle is how long a wire scenario waits for the last packets: one
// round trip more than loopback's quiet time.
func (r *run) wireSettle() time.Duration {
	if r.s.Wire == nil {
		return 0
	}
	return r.s.Wire.Link.RTT
}
