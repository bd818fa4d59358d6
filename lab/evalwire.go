package lab

import (
	"fmt"
	"time"
)

// matchPacket reports whether p fits a packet atom. On the lab's wire a
// packet counts as sent by its sender whatever the wire then did to it
// (dropped, delayed, duplicated), so `count client>server F. = 2` is the
// FIN and its retransmission even when the first was lost; a segment the
// wire crafted was sent by no socket and counts only for a condition that
// asks for `injected`. With a mark, only segments so marked count.
func (a *Atom) matchPacket(p *Packet) bool {
	if p == nil || p.From != a.From || p.To != a.To || !MatchFlags(a.Flags, p.Flags) || a.Len >= 0 && p.Len != a.Len {
		return false
	}
	if a.Wire != "" {
		return p.Wire == a.Wire
	}
	return p.Wire != WireInjected
}

func (a *Atom) packetDesc() string {
	desc := fmt.Sprintf("%s>%s %s", a.From, a.To, a.Flags)
	if a.Len >= 0 {
		desc += fmt.Sprintf(" len %d", a.Len)
	}
	if a.Wire != "" {
		desc += " " + a.Wire
	}
	return desc
}

// arrival is when a packet reached its receiver: a delayed one when the
// wire let it go, a dropped one never (ok false), nor a delayed one still
// held when the recording ended.
func arrival(e Event) (time.Duration, bool) {
	switch p := e.Packet; {
	case p.Wire == WireDropped, p.Wire == WireDelayed && p.Arrived == 0:
		return 0, false
	case p.Arrived > 0:
		return p.Arrived, true
	}
	return e.T, true
}

// firstArrival is the earliest arrival of a packet that fits a.
func firstArrival(a *Atom, evs []Event) (time.Duration, bool) {
	best, found := time.Duration(0), false
	for _, e := range evs {
		if !a.matchPacket(e.Packet) {
			continue
		}
		if t, ok := arrival(e); ok && (!found || t < best) {
			best, found = t, true
		}
	}
	return best, found
}

// evalBefore: the first A reached its receiver before the first B did.
// Arrival, not sending, is what reordering changes: a data segment held
// back by the wire is sent before the FIN and arrives after it.
func evalBefore(a Atom, evs []Event) outcome {
	ta, okA := firstArrival(&a, evs)
	tb, okB := firstArrival(a.Then, evs)
	switch {
	case !okA:
		return outcome{known: true, got: a.packetDesc() + ": never arrived"}
	case !okB:
		return outcome{ok: true, known: true, got: fmt.Sprintf("%s arrived at %s, %s never", a.packetDesc(), fmtMs(ta), a.Then.packetDesc())}
	}
	return outcome{ok: ta < tb, known: true, got: fmt.Sprintf("%s arrived at %s, %s at %s", a.packetDesc(), fmtMs(ta), a.Then.packetDesc(), fmtMs(tb))}
}

// evalElapsed measures from the first A to the first B sent after it (a
// retransmission when A and B are the same segment), at the times they
// were put on the wire.
func evalElapsed(a Atom, evs []Event) outcome {
	start := -1
	for i, e := range evs {
		if a.matchPacket(e.Packet) {
			start = i
			break
		}
	}
	if start < 0 {
		return outcome{known: true, got: a.packetDesc() + ": none"}
	}
	for _, e := range evs[start+1:] {
		if a.Then.matchPacket(e.Packet) {
			d := e.T - evs[start].T
			return outcome{ok: cmpDur(d, a.Cmp, a.Dur), known: true,
				got: fmt.Sprintf("%s .. %s: %s", a.packetDesc(), a.Then.packetDesc(), fmtMs(d))}
		}
	}
	return outcome{known: true, got: fmt.Sprintf("%s at %s, then no %s", a.packetDesc(), fmtMs(evs[start].T), a.Then.packetDesc())}
}

func cmpDur(d time.Duration, cmp string, v time.Duration) bool {
	switch cmp {
	case ">=":
		return d >= v
	case "<=":
		return d <= v
	case ">":
		return d > v
	case "<":
		return d < v
	}
	return false
}
