package lab

import (
	"slices"
	"strings"

	"github.com/tcpteardown/teardown/lab/wire"
)

// A scenario with the `wire` directive runs on two hosts, a and b: two
// private network namespaces joined by the lab's own wire (package
// lab/wire), which can lose, delay, duplicate, hold and craft segments.
// On loopback nothing is ever lost, and every rule of TCP's close exists
// for the cases where something is: TIME-WAIT answers a retransmitted FIN
// whose ACK was lost (RFC 9293 §3.6.1), a FIN is retransmitted until it is
// acknowledged (RFC 1122 §4.2.2.13), a vanished peer is found only by a
// timeout (RFC 5482, RFC 1122 §4.2.3.6).

// WireSpec is the `wire [ipv6] [rtt=… loss=… seed=… rate=…]` directive.
type WireSpec struct {
	Line int
	IPv6 bool
	Link wire.Link
}

// WireLane is the name of the `wire:` lane: its fault steps run in order
// from the start, concurrently with the actors.
const WireLane = "wire"

// Hosts are the two ends of the wire.
var hosts = []string{"a", "b"}

// wireDirective parses `wire [ipv6] [PROPS]`.
func (p *parser) wireDirective(rest string) error {
	if p.s.Wire != nil {
		return p.errf("`wire` given twice (line %d)", p.s.Wire.Line)
	}
	w := &WireSpec{Line: p.line}
	if f := strings.Fields(rest); len(f) > 0 && f[0] == "ipv6" {
		w.IPv6, rest = true, strings.Join(f[1:], " ")
	}
	l, err := wire.ParseLink(rest)
	if err != nil {
		return p.errf("%v (expected `wire [ipv6] [rtt=D] [loss=P%%] [seed=N] [rate=N{kbit,mbit,gbit}]`)", err)
	}
	w.Link = l
	p.s.Wire = w
	return nil
}

// actorHost reads the `on a|b` of `actor NAME [process] on a|b`.
func actorHost(f []string) ([]string, string, bool) {
	n := len(f)
	if n < 3 || f[n-2] != "on" {
		return f, "", true
	}
	if !slices.Contains(hosts, f[n-1]) {
		return f, "", false
	}
	return f[:n-2], f[n-1], true
}

// sysctlHost reads the optional host of `sysctl [a|b] net/… VALUE`.
func sysctlHost(f []string) ([]string, string) {
	if len(f) >= 3 && slices.Contains(hosts, f[0]) {
		return f[1:], f[0]
	}
	return f, ""
}

// wireStep parses a line of the `wire:` lane: a fault step in the
// contract syntax of wire.ParseStep, or sleep, wait NAME, signal NAME.
func (p *parser) wireStep(tags []string, rest string) error {
	if err := p.within(len(p.s.Steps), MaxSteps, "steps"); err != nil {
		return err
	}
	st := Step{Line: p.line, Actor: WireLane, Variants: tags, Opts: map[string]string{}}
	f := strings.Fields(rest)
	if len(f) > 0 && slices.Contains([]string{"sleep", "wait", "signal"}, f[0]) {
		st.Op, st.Args = f[0], f[1:]
		if st.Op == "wait" && len(st.Args) != 1 {
			return p.errf("the wire lane waits only for a barrier: `wire: wait NAME`")
		}
		if err := checkStep(&st); err != nil {
			return p.errf("%s", err)
		}
		p.s.Steps = append(p.s.Steps, st)
		return nil
	}
	ws, err := wire.ParseStep(rest)
	if err != nil {
		return p.errf("%v", err)
	}
	st.Op, st.Args, st.Wire = "wire", []string{ws.Text}, &ws
	p.s.Steps = append(p.s.Steps, st)
	return nil
}

// checkWire checks what a wire scenario needs once the file is read: the
// hosts of its actors (assigning the defaults), sysctls and steps that
// only a wire scenario may have, and wire steps that name two actors on
// opposite hosts.
func (p *parser) checkWire() error {
	if p.s.Wire == nil {
		return p.checkNoWire()
	}
	p.assignHosts()
	for _, st := range p.s.Steps {
		if st.Wire == nil {
			continue
		}
		if err := p.checkWireRefs(st); err != nil {
			return err
		}
	}
	return nil
}

// checkNoWire refuses the wire's words in a loopback scenario.
func (p *parser) checkNoWire() error {
	for _, a := range p.s.Actors {
		if a.Host != "" {
			p.line = p.hostLines[0]
			return p.errf("`actor %s on %s` needs the `wire` directive: hosts exist only on the lab's wire", a.Name, a.Host)
		}
	}
	for _, sc := range p.s.Sysctls {
		if sc.Host != "" {
			p.line = sc.Line
			return p.errf("`sysctl %s …` names a host, which needs the `wire` directive", sc.Host)
		}
	}
	for _, st := range p.s.Steps {
		if st.Actor == WireLane {
			p.line = st.Line
			return p.errf("`wire:` steps need the `wire` directive (add a line `wire` before them)")
		}
	}
	return nil
}

// assignHosts puts actors without `on` on their default host: the first
// actor on a, the others on b.
func (p *parser) assignHosts() {
	for i := range p.s.Actors {
		if p.s.Actors[i].Host != "" {
			continue
		}
		p.s.Actors[i].Host = "b"
		if i == 0 {
			p.s.Actors[i].Host = "a"
		}
	}
}

// checkWireRefs makes sure a fault step names actors (or the hosts) and
// that its directions cross the wire.
func (p *parser) checkWireRefs(st Step) error {
	ws := st.Wire
	var dirs [][2]string
	switch ws.Kind {
	case wire.Drop, wire.Delay, wire.Dup, wire.Hold:
		dirs = append(dirs, [2]string{ws.Match.From, ws.Match.To})
		if ws.After != nil {
			dirs = append(dirs, [2]string{ws.After.From, ws.After.To})
		}
	case wire.Cut, wire.Inject:
		if ws.From != "" {
			dirs = append(dirs, [2]string{ws.From, ws.To})
		}
	}
	for _, d := range dirs {
		if err := p.checkCrossing(d[0], d[1]); err != nil {
			p.line = st.Line
			return err
		}
	}
	return nil
}

func (p *parser) checkCrossing(from, to string) error {
	hf, err := p.hostOf(from)
	if err != nil {
		return err
	}
	ht, err := p.hostOf(to)
	if err != nil {
		return err
	}
	if hf == ht {
		return p.errf("%s>%s never crosses the wire: both are on host %s (put one of them `on` the other host)", from, to, hf)
	}
	return nil
}

func (p *parser) hostOf(name string) (string, error) {
	if slices.Contains(hosts, name) {
		return name, nil
	}
	if a, ok := p.s.actor(name); ok {
		return a.Host, nil
	}
	return "", p.errf("wire step names %q, which is neither an actor nor a host (a, b)", name)
}

// HostOf returns the host an actor of a wire scenario runs on ("a" or
// "b"), or "" for a loopback scenario or an unknown name.
func (s *Scenario) HostOf(actor string) string {
	a, _ := s.actor(actor)
	return a.Host
}

// WireActors maps every actor to its host, as wire.Config.Actors wants it.
func (s *Scenario) WireActors() map[string]wire.Host {
	m := map[string]wire.Host{}
	for _, a := range s.Actors {
		m[a.Name] = map[string]wire.Host{"a": wire.A, "b": wire.B}[a.Host]
	}
	return m
}

// String gives the directive back, e.g. "wire ipv6 rtt=40ms".
func (w *WireSpec) String() string {
	s := "wire"
	if w.IPv6 {
		s += " ipv6"
	}
	if l := w.Link.String(); l != "" {
		s += " " + l
	}
	return s
}
