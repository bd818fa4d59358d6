package lab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// callOnlyOps are names calls are recorded under that are not step names
// (fork-holder records "fork", abort and linger record "setsockopt" …).
var callOnlyOps = []string{"fork", "bind", "socket", "fcntl"}

// parseCond parses `atom and atom …`; "otherwise" returns nil.
func parseCond(s string) (Cond, error) {
	s = strings.TrimSpace(s)
	if s == "otherwise" {
		return nil, nil
	}
	parts := splitAnd(s)
	if len(parts) > MaxAtoms {
		return nil, fmt.Errorf("more than %d conditions joined by `and` (the limit)", MaxAtoms)
	}
	var c Cond
	for _, part := range parts {
		a, err := parseAtom(part)
		if err != nil {
			return nil, err
		}
		c = append(c, a)
	}
	return c, nil
}

func splitAnd(s string) []string {
	var parts []string
	for _, p := range strings.Split(" "+s+" ", " and ") {
		parts = append(parts, strings.TrimSpace(p))
	}
	return parts
}

func parseAtom(s string) (Atom, error) {
	f := strings.Fields(s)
	a := Atom{Text: s, Len: -1, N: 1}
	if len(f) > 0 && f[0] == "no" {
		a.Neg, f = true, f[1:]
	}
	if len(f) == 0 {
		return a, fmt.Errorf("empty condition (conditions are joined by `and`)")
	}
	switch f[0] {
	case "packet":
		if i := slices.Index(f, "before"); i > 0 {
			return a, a.before(f[1:i], f[i+1:])
		}
		return a, a.packet(f[1:])
	case "elapsed":
		if a.Neg {
			return a, fmt.Errorf("`no elapsed` is not supported: compare with < or >=")
		}
		return a, a.elapsed(f[1:])
	case "count":
		return a, a.count(f[1:])
	case "state":
		return a, a.state(f[1:])
	case "timewait":
		return a, a.timewait(f[1:])
	case "call":
		if a.Neg {
			return a, fmt.Errorf("`no call` is not supported: use `call A op != RESULT`")
		}
		return a, a.call(f[1:])
	}
	return a, fmt.Errorf("a condition starts with packet, count, state, timewait, elapsed or call, got %q", f[0])
}

func (a *Atom) fromTo(s string) error {
	from, to, ok := strings.Cut(s, ">")
	if !ok || !nameRE.MatchString(from) || !nameRE.MatchString(to) {
		return fmt.Errorf("expected FROM>TO such as client>server, got %q", s)
	}
	a.From, a.To = from, to
	return nil
}

func (a *Atom) packet(f []string) error {
	a.Kind = AtomPacket
	f = a.wireMark(f)
	if len(f) != 2 && !(len(f) == 4 && f[2] == "len") {
		return fmt.Errorf("expected `packet FROM>TO FLAGS [len N] [dropped|delayed|duplicated|injected]`, got %q", strings.Join(f, " "))
	}
	if err := a.fromTo(f[0]); err != nil {
		return err
	}
	if err := checkFlags(f[1]); err != nil {
		return err
	}
	a.Flags = f[1]
	if len(f) == 4 {
		n, err := parseCount(f[3])
		a.Len = n
		return err
	}
	return nil
}

func (a *Atom) count(f []string) error {
	a.Kind = AtomCount
	if len(f) == 5 && slices.Contains(wireMarks, f[2]) {
		a.Wire, f = f[2], slices.Delete(slices.Clone(f), 2, 3)
	}
	if a.Neg || len(f) != 4 || (f[2] != "=" && f[2] != ">" && f[2] != "<") {
		return fmt.Errorf("expected `count FROM>TO FLAGS [dropped|delayed|duplicated|injected] = N` (or > N, < N), got %q", strings.Join(f, " "))
	}
	a.Cmp = f[2]
	if err := a.fromTo(f[0]); err != nil {
		return err
	}
	if err := checkFlags(f[1]); err != nil {
		return err
	}
	a.Flags = f[1]
	n, err := parseCount(f[3])
	a.Count = n
	return err
}

func (a *Atom) state(f []string) error {
	a.Kind = AtomState
	if len(f) != 2 || !nameRE.MatchString(f[0]) {
		return fmt.Errorf("expected `state ACTOR STATE`, got %q", strings.Join(f, " "))
	}
	st, err := tcpstate.Parse(f[1])
	a.Actor, a.State = f[0], st
	return err
}

// call parses `ACTOR OP[#N] = VALUE`, `… != VALUE`, `… dur > D`, `… bytes = N`.
func (a *Atom) call(f []string) error {
	if len(f) < 4 || !nameRE.MatchString(f[0]) {
		return fmt.Errorf("expected `call ACTOR OP[#N] = RESULT`, got %q", strings.Join(f, " "))
	}
	a.Actor = f[0]
	if err := a.opN(f[1]); err != nil {
		return err
	}
	switch f[2] {
	case "=", "!=":
		a.Kind, a.Cmp, a.Value = AtomCall, f[2], strings.Join(f[3:], " ")
		return nil
	case "dur":
		return a.durCmp(f[3:])
	case "bytes":
		return a.bytesCmp(f[3:])
	}
	return fmt.Errorf("expected =, !=, dur or bytes after %s, got %q", f[1], f[2])
}

func (a *Atom) opN(s string) error {
	op, n, hasN := strings.Cut(s, "#")
	if _, ok := ops[op]; !ok && !slices.Contains(callOnlyOps, op) {
		return fmt.Errorf("unknown operation %q", op)
	}
	a.Op = op
	if hasN {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			return fmt.Errorf("the call number after # starts at 1, got %q", n)
		}
		a.N = v
	}
	return nil
}

func (a *Atom) durCmp(f []string) error {
	a.Kind = AtomDur
	if len(f) != 2 || (f[0] != ">" && f[0] != "<") {
		return fmt.Errorf("expected `dur > DURATION` or `dur < DURATION`")
	}
	d, err := ParseDuration(f[1])
	a.Cmp, a.Dur = f[0], d
	return err
}

func (a *Atom) bytesCmp(f []string) error {
	a.Kind = AtomBytes
	if len(f) != 2 || (f[0] != ">" && f[0] != "<" && f[0] != "=") {
		return fmt.Errorf("expected `bytes = N`, `bytes > N` or `bytes < N`")
	}
	n, err := parseCount(f[1])
	a.Cmp, a.Count = f[0], n
	return err
}

// timewait parses `ACTOR > D` or `ACTOR < D`.
func (a *Atom) timewait(f []string) error {
	a.Kind = AtomTimer
	if a.Neg || len(f) != 3 || !nameRE.MatchString(f[0]) || (f[1] != ">" && f[1] != "<") {
		return fmt.Errorf("expected `timewait ACTOR > DURATION` or `< DURATION`, got %q", strings.Join(f, " "))
	}
	d, err := time.ParseDuration(f[2])
	if err != nil || d < 0 || d > 10*time.Minute {
		return fmt.Errorf("expected a duration such as 55s, got %q", f[2])
	}
	a.Actor, a.Cmp, a.Dur = f[0], f[1], d
	return nil
}

// wireMarks are what the wire did to a segment (Packet.Wire), as a
// condition may ask for them: `count client>server F. dropped = 1`.
var wireMarks = []string{WireDropped, WireDelayed, WireDuplicated, WireInjected}

// wireMark takes a final mark word off a packet atom's words.
func (a *Atom) wireMark(f []string) []string {
	if n := len(f); n > 0 && slices.Contains(wireMarks, f[n-1]) {
		a.Wire = f[n-1]
		return f[:n-1]
	}
	return f
}

// before parses `packet A before packet B`.
func (a *Atom) before(first, second []string) error {
	if a.Neg {
		return fmt.Errorf("`no packet A before packet B` is not supported: swap A and B")
	}
	if err := a.packet(first); err != nil {
		return err
	}
	then, err := thenPacket(second, "packet A before packet B")
	a.Kind, a.Then = AtomBefore, then
	return err
}

// elapsed parses `elapsed packet A .. packet B >= D` (or <=, >, <).
func (a *Atom) elapsed(f []string) error {
	const usage = "elapsed packet A .. packet B >= DURATION"
	dots := slices.Index(f, "..")
	if len(f) < 4 || f[0] != "packet" || dots < 0 {
		return fmt.Errorf("expected `%s`, got %q", usage, strings.Join(f, " "))
	}
	cmp := len(f) - 2
	if cmp <= dots || !slices.Contains([]string{">=", "<=", ">", "<"}, f[cmp]) {
		return fmt.Errorf("expected `%s` (or <=, >, <), got %q", usage, strings.Join(f, " "))
	}
	if err := a.packet(f[1:dots]); err != nil {
		return err
	}
	then, err := thenPacket(f[dots+1:cmp], usage)
	if err != nil {
		return err
	}
	d, err := ParseDuration(f[cmp+1])
	a.Kind, a.Then, a.Cmp, a.Dur = AtomElapsed, then, f[cmp], d
	return err
}

// thenPacket parses the second `packet FROM>TO FLAGS …` of a two-packet
// condition.
func thenPacket(f []string, usage string) (*Atom, error) {
	if len(f) == 0 || f[0] != "packet" {
		return nil, fmt.Errorf("expected `%s`, got %q", usage, strings.Join(f, " "))
	}
	b := &Atom{Len: -1, N: 1, Text: strings.Join(f, " ")}
	return b, b.packet(f[1:])
}

// MatchFlags matches tcpdump flags exactly, or by prefix with a final "*".
func MatchFlags(pattern, flags string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(flags) >= len(p) && flags[:len(p)] == p
	}
	return pattern == flags
}
