package lab

import (
	"fmt"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// outcome is an atom's value on a timeline: known is false when the atom
// needs packets or states and they were not recorded (not root).
type outcome struct {
	ok, known bool
	got       string // what the events show, in words
}

// evalAtom evaluates one atom. rec says whether packets and states were
// recorded.
func evalAtom(a Atom, evs []Event, rec Recorded) outcome {
	switch {
	case a.NeedsRoot() && !rec.Packets && !rec.States:
		return outcome{got: "not recorded (packets and states need root)"}
	case a.Kind == AtomState && !rec.States:
		return outcome{got: "not recorded (states need tracefs, which a user namespace cannot use)"}
	case a.NeedsRoot() && a.Kind != AtomState && !rec.Packets:
		return outcome{got: "not recorded (packets need root)"}
	}
	switch a.Kind {
	case AtomPacket, AtomCount:
		return evalPacket(a, evs)
	case AtomState:
		return evalState(a, evs)
	case AtomTimer:
		return evalTimer(a, evs)
	case AtomBefore:
		return evalBefore(a, evs)
	case AtomElapsed:
		return evalElapsed(a, evs)
	}
	return evalCall(a, evs)
}

func evalPacket(a Atom, evs []Event) outcome {
	n, first := 0, time.Duration(0)
	for _, e := range evs {
		if !a.matchPacket(e.Packet) {
			continue
		}
		if n == 0 {
			first = e.T
		}
		n++
	}
	desc := a.packetDesc()
	got := desc + ": none"
	if n > 0 {
		got = fmt.Sprintf("%s: %d, first at %s", desc, n, fmtMs(first))
	}
	if a.Kind == AtomCount {
		return outcome{ok: compare(n, a.Cmp, a.Count), known: true, got: got}
	}
	return outcome{ok: (n > 0) != a.Neg, known: true, got: got}
}

func evalState(a Atom, evs []Event) outcome {
	seen := false
	for _, e := range evs {
		if s := e.State; s != nil && s.Actor == a.Actor && s.To == a.State {
			seen = true
		}
		if s := e.Snapshot; s != nil {
			for _, row := range s.Rows {
				seen = seen || row.Actor == a.Actor && row.State == a.State
			}
		}
	}
	got := fmt.Sprintf("%s never in %s", a.Actor, a.State)
	if seen {
		got = fmt.Sprintf("%s reached %s", a.Actor, a.State)
	}
	return outcome{ok: seen != a.Neg, known: true, got: got}
}

// evalTimer looks at the TIME-WAIT rows of the actor in socket-table
// snapshots: the time left on their timer. Without a snapshot it cannot
// know.
func evalTimer(a Atom, evs []Event) outcome {
	snaps, left := 0, time.Duration(-1)
	for _, e := range evs {
		if e.Snapshot == nil {
			continue
		}
		snaps++
		for _, row := range e.Snapshot.Rows {
			if row.Actor == a.Actor && row.State == tcpstate.TimeWait && left < 0 {
				left = time.Duration(row.Expiry * float64(time.Millisecond))
			}
		}
	}
	switch {
	case snaps == 0:
		return outcome{got: "no socket-table snapshot"}
	case left < 0:
		return outcome{known: true, got: fmt.Sprintf("%s has no TIME-WAIT row", a.Actor)}
	}
	ok := left > a.Dur == (a.Cmp == ">")
	return outcome{ok: ok, known: true, got: fmt.Sprintf("%s's TIME-WAIT timer: %.1fs left", a.Actor, left.Seconds())}
}

// findCall returns the n-th call of op by actor.
func findCall(evs []Event, actor, op string, n int) *Call {
	for _, e := range evs {
		if c := e.Call; c != nil && c.Actor == actor && c.Op == op {
			if n--; n == 0 {
				return c
			}
		}
	}
	return nil
}

func evalCall(a Atom, evs []Event) outcome {
	name := fmt.Sprintf("%s %s#%d", a.Actor, a.Op, a.N)
	c := findCall(evs, a.Actor, a.Op, a.N)
	if c == nil {
		return outcome{known: true, got: name + ": no such call"}
	}
	switch a.Kind {
	case AtomDur:
		ok := c.Dur > a.Dur == (a.Cmp == ">")
		return outcome{ok: ok, known: true, got: fmt.Sprintf("%s took %s", name, fmtMs(c.Dur))}
	case AtomBytes:
		ok := compare(c.Bytes, a.Cmp, a.Count)
		return outcome{ok: ok, known: true, got: fmt.Sprintf("%s moved %d bytes", name, c.Bytes)}
	}
	ok := (c.Result == a.Value) == (a.Cmp == "=")
	return outcome{ok: ok, known: true, got: fmt.Sprintf("%s = %s", name, c.Result)}
}

func compare(n int, cmp string, v int) bool {
	return cmp == "=" && n == v || cmp == ">" && n > v || cmp == "<" && n < v
}

func fmtMs(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

// evalCond is true when every atom is; unknown when one is unknown and none
// is false.
func evalCond(c Cond, evs []Event, rec Recorded) (ok, known bool, got []string) {
	ok, known = true, true
	for _, a := range c {
		o := evalAtom(a, evs, rec)
		got = append(got, o.got)
		switch {
		case !o.known:
			known = false
		case !o.ok:
			ok = false
		}
	}
	if !ok {
		known = true // one false atom decides, whatever the others
	}
	return ok && known, known, got
}

// CheckExpects evaluates the scenario's expect lines for a variant.
func CheckExpects(s *Scenario, variant string, evs []Event, wire bool) []Expectation {
	return CheckExpectsOf(s, variant, evs, Recorded{Packets: wire, States: wire})
}

// Recorded says what a run recorded besides the calls: packets (AF_PACKET
// as root, or the lab's wire) and TCP states (tracefs, root only). A
// condition on what was not recorded is unknown, never guessed.
type Recorded struct{ Packets, States bool }

// CheckExpectsOf is CheckExpects for a run that recorded rec.
func CheckExpectsOf(s *Scenario, variant string, evs []Event, rec Recorded) []Expectation {
	var out []Expectation
	for _, e := range s.Expects {
		if !InVariant(e.Variants, variant) {
			continue
		}
		ok, known, got := evalCond(e.Cond, evs, rec)
		x := Expectation{Line: e.Line, Text: e.Text, OK: ok, Skipped: !known}
		if !ok && known {
			x.Got = strings.Join(got, "; ")
		}
		out = append(out, x)
	}
	return out
}

// ComputeVerdicts applies each claim's rules in order: the first whose
// condition holds gives the verdict. A rule that cannot be decided without
// packets or states makes the verdict "not observed": never guessed.
func ComputeVerdicts(s *Scenario, variant string, evs []Event, wire bool) []Verdict {
	return ComputeVerdictsOf(s, variant, evs, Recorded{Packets: wire, States: wire})
}

// ComputeVerdictsOf is ComputeVerdicts for a run that recorded rec.
func ComputeVerdictsOf(s *Scenario, variant string, evs []Event, rec Recorded) []Verdict {
	var out []Verdict
	for _, claim := range s.Claims {
		v := Verdict{Claim: claim, Verdict: NotObserved}
		if t := s.Texts[claim]; t != nil {
			v.Said, v.SaidZh, v.Why, v.WhyZh = t.Said, t.SaidZh, t.Why, t.WhyZh
		}
		rules := rulesFor(s, claim, variant)
		if len(rules) == 0 {
			continue // this variant says nothing about the claim
		}
		v.Verdict = decide(rules, evs, rec)
		v.Observed = observed(rules, evs, rec)
		out = append(out, v)
	}
	return out
}

func rulesFor(s *Scenario, claim, variant string) []Rule {
	var out []Rule
	for _, r := range s.Rules {
		if r.Claim == claim && InVariant(r.Variants, variant) {
			out = append(out, r)
		}
	}
	return out
}

func decide(rules []Rule, evs []Event, rec Recorded) VerdictKind {
	for _, r := range rules {
		if r.Cond == nil {
			return r.Verdict
		}
		ok, known, _ := evalCond(r.Cond, evs, rec)
		if !known {
			return NotObserved
		}
		if ok {
			return r.Verdict
		}
	}
	return NotObserved
}

// observed describes, from the events, every fact the rules look at.
func observed(rules []Rule, evs []Event, rec Recorded) string {
	var facts []string
	seen := map[string]bool{}
	for _, r := range rules {
		for _, a := range r.Cond {
			got := evalAtom(a, evs, rec).got
			if !seen[got] {
				seen[got] = true
				facts = append(facts, got)
			}
		}
	}
	return strings.Join(facts, "; ")
}
