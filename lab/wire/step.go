package wire

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind is what a wire step does.
type Kind uint8

const (
	KindInvalid Kind = iota
	Drop             // drop MATCH [count=N] [after MATCH2]
	Delay            // delay MATCH D [count=N]
	Dup              // dup MATCH [count=N]
	Hold             // hold MATCH
	Release          // release
	Cut              // cut [a>b|b>a]
	Heal             // heal
	Inject           // inject DIR FLAGS [seq=±N] [ack=±N|N] [len=N]
)

var kindNames = [...]string{"invalid", "drop", "delay", "dup", "hold", "release", "cut", "heal", "inject"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Match selects segments by direction and TCP flags, in the lab's
// expectation syntax without the word `packet`: `client>server F.`,
// `server>client .` (a pure ACK), `client>server P. len 1000`,
// `server>client R*` (a final `*` lets any further flags follow).
type Match struct {
	From, To string // actor (or host) names
	Flags    string // tcpdump notation; a prefix when it ends in "*"
	Len      int    // payload bytes; -1: any
}

// Offset is an inject step's seq= or ack=: relative to what the wire saw
// (+N, -N) or an absolute 32-bit number.
type Offset struct {
	Set bool
	Rel bool
	N   int64
}

// Step is one parsed `wire:` line.
type Step struct {
	Kind  Kind
	Match Match         // drop, delay, dup, hold
	After *Match        // drop … after MATCH2
	Count int           // drop, delay, dup: how many segments (default 1); 0 for the others
	Delay time.Duration // delay
	// Cut: From>To, or both empty for both directions. Inject: the direction.
	From, To string
	Flags    string // inject: the crafted segment's flags (no "*")
	Seq, Ack Offset // inject
	Len      int    // inject: payload bytes
	Text     string // the step as written, for the timeline
}

// Limits keep every rule bounded: a count or length from a scenario can
// not make the wire hold or craft unbounded data.
const (
	maxCount  = 1 << 20
	maxDelay  = 30 * time.Second
	maxInject = 1400 // payload of a crafted segment: fits MTU 1500 over IPv6 with options
)

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	flagsRE = regexp.MustCompile(`^(\.|[SFRPUEW]+\.?[UEW]*)\*?$`)
)

// ParseStep parses the text after `wire:`, e.g. "drop client>server F.
// count=2". Errors say what was expected.
func ParseStep(text string) (Step, error) {
	f := strings.Fields(text)
	st := Step{Text: strings.Join(f, " ")}
	if len(f) == 0 {
		return st, fmt.Errorf("wire: empty step: expected drop, delay, dup, hold, release, cut, heal or inject")
	}
	var err error
	switch f[0] {
	case "drop":
		st.Kind, err = Drop, st.parseDrop(f[1:])
	case "delay":
		st.Kind, err = Delay, st.parseDelay(f[1:])
	case "dup":
		st.Kind, err = Dup, st.parseCounted(f[1:], "dup MATCH [count=N]")
	case "hold":
		st.Kind, err = Hold, st.parseHold(f[1:])
	case "release", "heal":
		st.Kind = map[string]Kind{"release": Release, "heal": Heal}[f[0]]
		if len(f) != 1 {
			err = fmt.Errorf("wire: %s takes no arguments, got %q", f[0], st.Text)
		}
	case "cut":
		st.Kind, err = Cut, st.parseCut(f[1:])
	case "inject":
		st.Kind, err = Inject, st.parseInject(f[1:])
	default:
		err = fmt.Errorf("wire: unknown step %q: expected drop, delay, dup, hold, release, cut, heal or inject", f[0])
	}
	return st, err
}

// parseMatch reads a MATCH from the front of f and returns what follows.
func parseMatch(f []string) (Match, []string, error) {
	m := Match{Len: -1}
	if len(f) < 2 {
		return m, nil, fmt.Errorf("wire: expected a MATCH such as `client>server F.` or `server>client P. len 1000`, got %q", strings.Join(f, " "))
	}
	from, to, err := parseDir(f[0])
	if err != nil {
		return m, nil, err
	}
	if !flagsRE.MatchString(f[1]) {
		return m, nil, fmt.Errorf("wire: flags are written as tcpdump prints them (S, S., ., P., F., R, R.; a final * for any further flags), got %q", f[1])
	}
	m.From, m.To, m.Flags, f = from, to, f[1], f[2:]
	if len(f) >= 2 && f[0] == "len" {
		n, err := parseNum(f[1], "len", 64<<20)
		if err != nil {
			return m, nil, err
		}
		m.Len, f = int(n), f[2:]
	}
	return m, f, nil
}

func parseDir(s string) (string, string, error) {
	from, to, ok := strings.Cut(s, ">")
	if !ok || !nameRE.MatchString(from) || !nameRE.MatchString(to) || from == to {
		return "", "", fmt.Errorf("wire: expected a direction FROM>TO such as client>server, got %q", s)
	}
	return from, to, nil
}

func (st *Step) parseDrop(f []string) error {
	rest, err := st.parseMatchCount(f, "drop MATCH [count=N] [after MATCH2]")
	if err != nil || len(rest) == 0 {
		return err
	}
	if rest[0] != "after" {
		return fmt.Errorf("wire: expected `drop MATCH [count=N] [after MATCH2]`, got %q", st.Text)
	}
	after, rest, err := parseMatch(rest[1:])
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("wire: unexpected %q after `after MATCH2` in %q", strings.Join(rest, " "), st.Text)
	}
	st.After = &after
	return nil
}

// parseMatchCount reads MATCH [count=N] and returns the words left.
func (st *Step) parseMatchCount(f []string, usage string) ([]string, error) {
	m, rest, err := parseMatch(f)
	if err != nil {
		return nil, err
	}
	st.Match, st.Count = m, 1
	if len(rest) > 0 && strings.HasPrefix(rest[0], "count=") {
		n, err := parseNum(strings.TrimPrefix(rest[0], "count="), "count", maxCount)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("wire: count must be at least 1 in %q (%s)", st.Text, usage)
		}
		st.Count, rest = int(n), rest[1:]
	}
	return rest, nil
}

func (st *Step) parseCounted(f []string, usage string) error {
	rest, err := st.parseMatchCount(f, usage)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("wire: expected `%s`, got %q", usage, st.Text)
	}
	return err
}

func (st *Step) parseDelay(f []string) error {
	const usage = "delay MATCH D [count=N]"
	m, rest, err := parseMatch(f)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fmt.Errorf("wire: expected `%s` with a duration such as 200ms, got %q", usage, st.Text)
	}
	d, err := time.ParseDuration(rest[0])
	if err != nil || d <= 0 || d > maxDelay {
		return fmt.Errorf("wire: expected a delay such as 200ms (above 0, at most 30s), got %q", rest[0])
	}
	st.Delay, st.Count, rest = d, 1, rest[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "count=") {
		n, err := parseNum(strings.TrimPrefix(rest[0], "count="), "count", maxCount)
		if err != nil || n == 0 {
			return fmt.Errorf("wire: expected count=N with N ≥ 1 in %q", st.Text)
		}
		st.Count, rest = int(n), rest[1:]
	}
	st.Match = m
	if len(rest) != 0 {
		return fmt.Errorf("wire: expected `%s`, got %q", usage, st.Text)
	}
	return nil
}

func (st *Step) parseHold(f []string) error {
	m, rest, err := parseMatch(f)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("wire: expected `hold MATCH`, got %q", st.Text)
	}
	st.Match = m
	return err
}

func (st *Step) parseCut(f []string) error {
	switch len(f) {
	case 0:
		return nil
	case 1:
		var err error
		st.From, st.To, err = parseDir(f[0])
		return err
	}
	return fmt.Errorf("wire: expected `cut` or `cut a>b`, got %q", st.Text)
}

func (st *Step) parseInject(f []string) error {
	const usage = "inject DIR FLAGS [seq=+N|-N] [ack=+N|-N|N] [len=N]"
	if len(f) < 2 {
		return fmt.Errorf("wire: expected `%s`, got %q", usage, st.Text)
	}
	var err error
	if st.From, st.To, err = parseDir(f[0]); err != nil {
		return err
	}
	if !flagsRE.MatchString(f[1]) || strings.HasSuffix(f[1], "*") {
		return fmt.Errorf("wire: inject needs exact flags such as R, R., F., P. or ., got %q", f[1])
	}
	st.Flags = f[1]
	for _, kv := range f[2:] {
		if err := st.injectOption(kv); err != nil {
			return err
		}
	}
	return nil
}

func (st *Step) injectOption(kv string) error {
	k, v, _ := strings.Cut(kv, "=")
	var err error
	switch k {
	case "seq":
		st.Seq, err = parseOffset(v, k)
	case "ack":
		st.Ack, err = parseOffset(v, k)
	case "len":
		var n int64
		n, err = parseNum(v, k, maxInject)
		st.Len = int(n)
	default:
		err = fmt.Errorf("wire: unknown inject option %q: expected seq=+N|-N, ack=+N|-N|N or len=N", kv)
	}
	return err
}

// parseOffset reads +N / -N (relative to the wire's state) or N (absolute).
func parseOffset(v, name string) (Offset, error) {
	o := Offset{Set: true}
	sign := int64(1)
	switch {
	case strings.HasPrefix(v, "+"):
		o.Rel, v = true, v[1:]
	case strings.HasPrefix(v, "-"):
		o.Rel, v, sign = true, v[1:], -1
	}
	n, err := parseNum(v, name, 1<<32-1)
	o.N = sign * n
	return o, err
}

func parseNum(s, name string, limit int64) (int64, error) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("wire: expected %s=N with 0 ≤ N ≤ %d, got %q", name, limit, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > limit {
		return 0, fmt.Errorf("wire: expected %s=N with 0 ≤ N ≤ %d, got %q", name, limit, s)
	}
	return n, nil
}

// String prints the match in the syntax ParseStep reads.
func (m Match) String() string {
	s := m.From + ">" + m.To + " " + m.Flags
	if m.Len >= 0 {
		s += " len " + strconv.Itoa(m.Len)
	}
	return s
}

// String prints the step in canonical form; ParseStep(s.String()) gives s
// back (FuzzParseStep checks it).
func (st Step) String() string {
	var b strings.Builder
	b.WriteString(st.Kind.String())
	switch st.Kind {
	case Drop, Delay, Dup, Hold:
		b.WriteString(" " + st.Match.String())
	}
	if st.Kind == Delay {
		b.WriteString(" " + st.Delay.String())
	}
	if (st.Kind == Drop || st.Kind == Delay || st.Kind == Dup) && st.Count != 1 {
		fmt.Fprintf(&b, " count=%d", st.Count)
	}
	if st.After != nil {
		b.WriteString(" after " + st.After.String())
	}
	if (st.Kind == Cut || st.Kind == Inject) && st.From != "" {
		b.WriteString(" " + st.From + ">" + st.To)
	}
	if st.Kind == Inject {
		st.writeInject(&b)
	}
	return b.String()
}

func (st Step) writeInject(b *strings.Builder) {
	b.WriteString(" " + st.Flags)
	for _, o := range []struct {
		name string
		o    Offset
	}{{"seq", st.Seq}, {"ack", st.Ack}} {
		if !o.o.Set {
			continue
		}
		switch {
		case o.o.Rel && o.o.N >= 0:
			fmt.Fprintf(b, " %s=+%d", o.name, o.o.N)
		default:
			fmt.Fprintf(b, " %s=%d", o.name, o.o.N)
		}
	}
	if st.Len > 0 {
		fmt.Fprintf(b, " len=%d", st.Len)
	}
}

// matchFlags matches tcpdump flags exactly, or by prefix with a final "*"
// (the lab's rule for expectations).
func matchFlags(pattern, flags string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(flags, p)
	}
	return pattern == flags
}
