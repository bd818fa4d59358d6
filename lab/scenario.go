package lab

import (
	"slices"
	"strconv"
	"time"

	"github.com/tcpteardown/teardown/lab/wire"
	"github.com/tcpteardown/teardown/tcpstate"
)

// Scenario is a parsed scenario file (docs/scenario-format.md): actors and
// their steps on real sockets, the claims it tests, the expectations that
// hold the kernel's behaviour in CI and the rules that compute verdicts.
type Scenario struct {
	Name     string
	Title    string
	File     string // where it was read from, for error messages
	Source   string // the text it was parsed from (a run in a user namespace parses it again)
	Claims   []string
	NetNS    bool      // run in a private network namespace
	Wire     *WireSpec // the `wire` directive: two hosts joined by the lab's wire; nil: loopback
	Sysctls  []Sysctl  // set inside that namespace (a wire scenario: on one host, or both)
	Repeat   int       // runs per variant (repeat N); the first records packets
	Variants []Variant // none: one run; else one run per variant
	Actors   []Actor   // lane order
	Steps    []Step
	Expects  []Expect
	Rules    []Rule
	Texts    map[string]*ClaimText // by claim ID
}

// Sysctl is one `sysctl net/… VALUE` line: a sysctl of the scenario's own
// network namespace (the name passed netns.CheckSysctlName).
type Sysctl struct {
	Line        int
	Host        string // wire scenarios: "a" or "b"; "" for both hosts (or the one namespace)
	Name, Value string
	Variants    []string // `sysctl@v1,v2`: set only in those variants' runs; empty: in every run
}

// Variant is one way of running a scenario; steps, expects and verdict rules
// tagged with other variants' names are left out.
type Variant struct{ Name, Text string }

// Actor is one participant: a goroutine of this process with its own
// sockets, or (Process) a child process that dies like a C program would.
type Actor struct {
	Name    string
	Process bool
	Host    string // wire scenarios: "a" or "b" (`actor NAME on b`, or the default); "" otherwise
}

// Step is one line `actor: op args… key=value…`.
type Step struct {
	Line     int
	Actor    string
	Variants []string // empty: every variant
	Op       string
	Args     []string
	Quoted   []bool // Quoted[i]: Args[i] was written "in quotes" (always text)
	Opts     map[string]string
	// Wire is a fault step of the `wire:` lane (Actor == WireLane, Op ==
	// "wire"); the lane's sleep, wait and signal steps are ordinary steps.
	Wire *wire.Step
}

// Size is the byte count argument i asks for when it is a bare number
// (`write 16`); quoted text is never a size (`write "16"` writes "16").
func (st *Step) Size(i int) (int, bool) {
	if i >= len(st.Args) || st.quoted(i) {
		return 0, false
	}
	n, err := strconv.Atoi(st.Args[i])
	return n, err == nil
}

// Word reports whether argument i is the bare word w (`write fill`), not
// the quoted text "fill".
func (st *Step) Word(i int, w string) bool {
	return i < len(st.Args) && st.Args[i] == w && !st.quoted(i)
}

func (st *Step) quoted(i int) bool { return i < len(st.Quoted) && st.Quoted[i] }

// Expect is one `expect` line: a condition the recorded events must meet.
type Expect struct {
	Line     int
	Variants []string
	Text     string
	Cond     Cond
}

// Rule is one `verdict` line: when Cond holds, Claim gets Verdict.
type Rule struct {
	Line     int
	Variants []string
	Claim    string
	Verdict  VerdictKind // Agrees, Differs or Partly
	Cond     Cond        // nil: otherwise
}

// ClaimText holds what a seed says about a claim and why the kernel does
// what it does, in English and Chinese.
type ClaimText struct{ Said, SaidZh, Why, WhyZh string }

// Cond is a conjunction of atoms.
type Cond []Atom

// AtomKind says what an atom looks at.
type AtomKind uint8

const (
	AtomInvalid AtomKind = iota
	AtomPacket           // packet FROM>TO FLAGS [len N]
	AtomCall             // call ACTOR OP[#N] = RESULT | != RESULT
	AtomDur              // call ACTOR OP[#N] dur > D | < D
	AtomBytes            // call ACTOR OP[#N] bytes = N
	AtomState            // state ACTOR STATE
	AtomCount            // count FROM>TO FLAGS = N
	AtomTimer            // timewait ACTOR > D: the TIME-WAIT timer left in a snapshot
	AtomBefore           // packet A before packet B: A arrived first
	AtomElapsed          // elapsed packet A .. packet B >= D
)

// Atom is one test on the timeline.
type Atom struct {
	Kind     AtomKind
	Neg      bool // "no packet …", "no state …"
	From, To string
	Flags    string // exact, or a prefix when it ends in "*"
	Len      int    // -1: any
	Actor    string
	Op       string
	N        int    // which call of Op (1-based)
	Cmp      string // "=", "!=", ">", "<"
	Value    string
	Dur      time.Duration
	Count    int
	State    tcpstate.State
	Wire     string // packet, count: only segments the wire marked so ("dropped", …)
	Then     *Atom  // before, elapsed: the second packet
	Text     string
}

// NeedsRoot reports whether the atom looks at packets or traced states,
// which are only recorded with root.
func (a Atom) NeedsRoot() bool {
	switch a.Kind {
	case AtomPacket, AtomState, AtomCount, AtomBefore, AtomElapsed:
		return true
	}
	return false
}

func InVariant(tags []string, v string) bool {
	return len(tags) == 0 || v == "" || slices.Contains(tags, v)
}

// actor returns the declaration of name.
func (s *Scenario) actor(name string) (Actor, bool) {
	for _, a := range s.Actors {
		if a.Name == name {
			return a, true
		}
	}
	return Actor{}, false
}
