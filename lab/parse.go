package lab

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/sys"
)

// ParseError is a problem in a scenario file, at a line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	claimRE = regexp.MustCompile(`^C[0-9]{2}$`)
)

// Parse reads a scenario file; file names it in errors.
func Parse(file string, r io.Reader) (*Scenario, error) {
	p := &parser{s: &Scenario{File: file, Texts: map[string]*ClaimText{}}}
	var src strings.Builder // what was read: at most MaxFileBytes
	sc := bufio.NewScanner(io.TeeReader(&limitReader{r: r, left: MaxFileBytes}, &src))
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes+2) // room for "\r\n"
	for sc.Scan() {
		p.line++
		if len(sc.Bytes()) > MaxLineBytes {
			return nil, p.errf("line longer than %d bytes, the limit for one line", MaxLineBytes)
		}
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := p.readErr(sc.Err()); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	p.s.Source = src.String()
	return p.s, nil
}

// readErr turns the scanner's errors about sizes into errors at a line.
func (p *parser) readErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bufio.ErrTooLong):
		p.line++
		return p.errf("line longer than %d bytes, the limit for one line", MaxLineBytes)
	case errors.Is(err, errFileTooBig):
		p.line = max(p.line, 1)
		return p.errf("%v", err)
	}
	return fmt.Errorf("lab: read %s: %w", p.s.File, err)
}

type parser struct {
	s         *Scenario
	line      int
	hostLines []int // lines of `actor … on HOST`, for errors about them
}

func (p *parser) errf(format string, a ...any) error {
	return &ParseError{File: p.s.File, Line: p.line, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) parseLine(text string) error {
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "#") {
		return nil
	}
	head, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	if strings.HasSuffix(head, ":") {
		return p.step(strings.TrimSuffix(head, ":"), rest)
	}
	kw, tags, err := p.tags(head)
	if err != nil {
		return err
	}
	if fn, ok := directives[kw]; ok {
		if tags != nil {
			return p.errf("%q takes no @variant", kw)
		}
		return fn(p, rest)
	}
	switch kw {
	case "sysctl":
		return p.sysctl(tags, rest)
	case "expect":
		return p.expect(tags, rest)
	case "verdict":
		return p.rule(tags, rest)
	}
	return p.errf("expected a directive (scenario, title, claims, actor, variant, netns, wire, sysctl, said, why, expect, verdict) or a step `actor: op …`, got %q", head)
}

// tags splits "word@v1,v2" into the word and its variant names.
func (p *parser) tags(head string) (string, []string, error) {
	word, vs, ok := strings.Cut(head, "@")
	if !ok {
		return word, nil, nil
	}
	tags := strings.Split(vs, ",")
	for _, t := range tags {
		if !slices.ContainsFunc(p.s.Variants, func(v Variant) bool { return v.Name == t }) {
			return "", nil, p.errf("unknown variant %q: declare it first with `variant %s …`", t, t)
		}
	}
	return word, tags, nil
}

var directives = map[string]func(p *parser, rest string) error{
	"scenario": (*parser).name,
	"title":    func(p *parser, rest string) error { p.s.Title = rest; return nil },
	"claims":   (*parser).claims,
	"actor":    (*parser).actorDecl,
	"variant":  (*parser).variant,
	"netns":    func(p *parser, rest string) error { p.s.NetNS = true; return p.noArgs(rest) },
	"wire":     (*parser).wireDirective,
	"repeat":   (*parser).repeat,
	"said":     func(p *parser, rest string) error { return p.text(rest, func(t *ClaimText) *string { return &t.Said }) },
	"said.zh": func(p *parser, rest string) error {
		return p.text(rest, func(t *ClaimText) *string { return &t.SaidZh })
	},
	"why": func(p *parser, rest string) error { return p.text(rest, func(t *ClaimText) *string { return &t.Why }) },
	"why.zh": func(p *parser, rest string) error {
		return p.text(rest, func(t *ClaimText) *string { return &t.WhyZh })
	},
}

func (p *parser) noArgs(rest string) error {
	if rest != "" {
		return p.errf("unexpected %q", rest)
	}
	return nil
}

func (p *parser) name(rest string) error {
	if !nameRE.MatchString(rest) {
		return p.errf("scenario name must be lower-case letters, digits and dashes, got %q", rest)
	}
	if p.s.Name != "" {
		return p.errf("scenario named twice")
	}
	p.s.Name = rest
	return nil
}

func (p *parser) claims(rest string) error {
	for _, c := range strings.Fields(rest) {
		if !claimRE.MatchString(c) {
			return p.errf("claim IDs look like C06, got %q", c)
		}
		if err := p.within(len(p.s.Claims), MaxClaims, "claims"); err != nil {
			return err
		}
		p.s.Claims = append(p.s.Claims, c)
	}
	return nil
}

func (p *parser) actorDecl(rest string) error {
	f, host, ok := actorHost(strings.Fields(rest))
	if !ok || len(f) == 0 || len(f) > 2 || !nameRE.MatchString(f[0]) || len(f) == 2 && f[1] != "process" {
		return p.errf("expected `actor NAME [process] [on a|b]`, got %q", rest)
	}
	if f[0] == WireLane {
		return p.errf("%q names the wire's lane: choose another actor name", WireLane)
	}
	if _, dup := p.s.actor(f[0]); dup {
		return p.errf("actor %s declared twice (declare actors before their steps)", f[0])
	}
	if err := p.within(len(p.s.Actors), MaxActors, "actors"); err != nil {
		return err
	}
	p.s.Actors = append(p.s.Actors, Actor{Name: f[0], Process: len(f) == 2, Host: host})
	if host != "" {
		p.hostLines = append(p.hostLines, p.line)
	}
	return nil
}

func (p *parser) variant(rest string) error {
	name, text, _ := strings.Cut(rest, " ")
	if !nameRE.MatchString(name) {
		return p.errf("expected `variant NAME description`, got %q", rest)
	}
	if slices.ContainsFunc(p.s.Variants, func(v Variant) bool { return v.Name == name }) {
		return p.errf("variant %s declared twice", name)
	}
	if err := p.within(len(p.s.Variants), MaxVariants, "variants"); err != nil {
		return err
	}
	p.s.Variants = append(p.s.Variants, Variant{Name: name, Text: strings.TrimSpace(text)})
	return nil
}

func (p *parser) repeat(rest string) error {
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > MaxRepeat {
		return p.errf("expected `repeat N` with N from 1 to %d, got %q", MaxRepeat, rest)
	}
	p.s.Repeat = n
	return nil
}

// sysctl accepts `sysctl net/… VALUE` for a sysctl this kernel has; the
// runner writes it only inside the scenario's namespace (netns.SetSysctl,
// which opens it beneath /proc/sys/net). See docs/security.md.
func (p *parser) sysctl(tags []string, rest string) error {
	f, host := sysctlHost(strings.Fields(rest))
	if len(f) < 2 {
		return p.errf("expected `sysctl [a|b] net/… VALUE` (only per-namespace net/ sysctls), got %q", rest)
	}
	value := strings.Join(f[1:], " ") // a vector: `sysctl net/ipv4/ip_local_port_range 40000 40099`
	if err := netns.CheckSysctlName(f[0]); err != nil {
		return p.errf("%v", err)
	}
	if err := netns.CheckSysctlValue(value); err != nil {
		return p.errf("%v", err)
	}
	if err := p.sysctlExists(f[0]); err != nil {
		return err
	}
	if err := p.within(len(p.s.Sysctls), MaxSysctls, "sysctl lines"); err != nil {
		return err
	}
	p.s.NetNS = true
	p.s.Sysctls = append(p.s.Sysctls, Sysctl{Line: p.line, Host: host, Name: f[0], Value: value, Variants: tags})
	return nil
}

// sysctlExists asks the running kernel (in this process's namespace, which
// has the same per-namespace sysctls as a fresh one, except for interfaces
// other than lo). Where there is no /proc/sys/net (not Linux) the scenario
// cannot run anyway, and the check is left to the run.
func (p *parser) sysctlExists(name string) error {
	ok, err := netns.SysctlExists(name)
	switch {
	case errors.Is(err, sys.ErrNotSupported):
		return nil
	case err != nil:
		return p.errf("sysctl %s: %v", name, err)
	case !ok:
		return p.errf("no sysctl %s on this kernel (see /proc/sys/%s)", name, path.Dir(name))
	}
	return nil
}

func (p *parser) text(rest string, field func(*ClaimText) *string) error {
	id, text, _ := strings.Cut(rest, " ")
	if !claimRE.MatchString(id) || strings.TrimSpace(text) == "" {
		return p.errf("expected `CNN text`, got %q", rest)
	}
	t := p.s.Texts[id]
	if t == nil {
		t = &ClaimText{}
		p.s.Texts[id] = t
	}
	f := field(t)
	*f = strings.TrimSpace(*f + " " + strings.TrimSpace(text)) // repeated lines continue the text
	return nil
}

func (p *parser) step(head, rest string) error {
	actor, tags, err := p.tags(head)
	if err != nil {
		return err
	}
	if !nameRE.MatchString(actor) {
		return p.errf("actor names are lower-case words, got %q", actor)
	}
	if actor == WireLane {
		return p.wireStep(tags, rest)
	}
	if _, ok := p.s.actor(actor); !ok {
		p.s.Actors = append(p.s.Actors, Actor{Name: actor})
	}
	toks, err := tokenize(rest)
	if err != nil {
		return p.errf("%v", err)
	}
	if len(toks) == 0 {
		return p.errf("expected an operation after %q", head)
	}
	if err := p.within(len(p.s.Steps), MaxSteps, "steps"); err != nil {
		return err
	}
	st := Step{Line: p.line, Actor: actor, Variants: tags, Op: toks[0].s, Opts: map[string]string{}}
	for _, t := range toks[1:] {
		if k, v, ok := strings.Cut(t.s, "="); ok && !t.quoted {
			st.Opts[k] = v
		} else {
			st.Args = append(st.Args, t.s)
			st.Quoted = append(st.Quoted, t.quoted)
		}
	}
	if err := checkStep(&st); err != nil {
		return p.errf("%s", err)
	}
	p.s.Steps = append(p.s.Steps, st)
	return nil
}

func (p *parser) expect(tags []string, rest string) error {
	c, err := parseCond(rest)
	if err != nil {
		return p.errf("expect: %v", err)
	}
	if c == nil {
		return p.errf("expect needs a condition, not `otherwise`")
	}
	if err := p.within(len(p.s.Expects), MaxExpects, "expect lines"); err != nil {
		return err
	}
	p.s.Expects = append(p.s.Expects, Expect{Line: p.line, Variants: tags, Text: rest, Cond: c})
	return nil
}

func (p *parser) rule(tags []string, rest string) error {
	f := strings.Fields(rest)
	if len(f) < 3 || !claimRE.MatchString(f[0]) {
		return p.errf("expected `verdict CNN agrees|differs|partly when COND` or `… otherwise`, got %q", rest)
	}
	if !slices.Contains([]VerdictKind{Agrees, Differs, Partly}, VerdictKind(f[1])) {
		return p.errf("verdict must be agrees, differs or partly, got %q", f[1])
	}
	if err := p.within(len(p.s.Rules), MaxRules, "verdict lines"); err != nil {
		return err
	}
	r := Rule{Line: p.line, Variants: tags, Claim: f[0], Verdict: VerdictKind(f[1])}
	switch f[2] {
	case "otherwise":
		if len(f) != 3 {
			return p.errf("nothing may follow `otherwise`")
		}
	case "when":
		c, err := parseCond(strings.Join(f[3:], " "))
		if err != nil || c == nil {
			return p.errf("verdict %s: %v", f[0], orMissing(err))
		}
		r.Cond = c
	default:
		return p.errf("expected `when` or `otherwise` after the verdict, got %q", f[2])
	}
	p.s.Rules = append(p.s.Rules, r)
	return nil
}

func orMissing(err error) error {
	if err == nil {
		return fmt.Errorf("a condition is needed after `when`")
	}
	return err
}

// finish checks what needs the whole file.
func (p *parser) finish() error {
	s := p.s
	p.line = max(p.line, 1) // an empty file: its first line
	if s.Name == "" {
		return p.errf("missing `scenario NAME` line")
	}
	if len(s.Steps) == 0 {
		return p.errf("scenario %s has no steps", s.Name)
	}
	for _, r := range s.Rules {
		if !slices.Contains(s.Claims, r.Claim) {
			p.line = r.Line
			return p.errf("verdict for %s, which is not in the `claims` line", r.Claim)
		}
	}
	if runs := max(s.Repeat, 1) * max(len(s.Variants), 1); runs > MaxRuns {
		return p.errf("repeat × variants is %d runs, more than the limit %d", runs, MaxRuns)
	}
	for _, check := range []func() error{p.checkWire, p.checkRefs, p.checkCondRefs, p.checkProcessOps, p.checkVerdictSets, p.checkBudget} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

type token struct {
	s      string
	quoted bool
}

// tokenize splits on spaces; "double quoted" tokens use Go escapes.
func tokenize(s string) ([]token, error) {
	var out []token
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] != '"' {
			w, rest, _ := strings.Cut(s, " ")
			out, s = append(out, token{s: w}), rest
			continue
		}
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return nil, fmt.Errorf("unterminated or invalid quoted text %s", s)
		}
		u, _ := strconv.Unquote(q)
		out, s = append(out, token{s: u, quoted: true}), s[len(q):]
	}
	return out, nil
}
