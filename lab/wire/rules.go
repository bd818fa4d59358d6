package wire

import (
	"github.com/tcpteardown/teardown/capture"
)

// A rule is an armed step. Rules live in the order they were armed; the
// first one that wants a packet decides its fate, so `drop … count=1`
// armed after a `hold` still sees only what the hold let through.
type rule struct {
	st        Step
	dir       Dir
	after     Dir  // direction of st.After (drop … after)
	triggered bool // the after-MATCH has been seen
	left      int  // segments still to act on (hold: unbounded)
}

// held is a packet a hold rule keeps until release.
type held struct {
	dir   Dir
	frame []byte
	seg   capture.Segment
}

// engine decides each packet's fate. It is pure (no I/O, no clock), so
// its semantics are tested without a kernel; the Wire serialises calls.
type engine struct {
	rules []*rule
	cut   [2]bool // per Dir index
	held  []held
}

type verdict struct {
	act  Action
	rule *rule
}

// matches reports whether a decoded segment travelling in d fits m
// (resolved to direction md). Non-TCP packets never match.
func matches(m *Match, md Dir, d Dir, s *capture.Segment) bool {
	if md != d || s.Proto != capture.TCP {
		return false
	}
	if m.Len >= 0 && s.Len != m.Len {
		return false
	}
	return matchFlags(m.Flags, s.Flags.String())
}

func (e *engine) arm(r *rule) { e.rules = append(e.rules, r) }

// decide returns what to do with a segment going in d.
func (e *engine) decide(d Dir, s *capture.Segment) verdict {
	if e.cut[d.index()] {
		return verdict{act: Dropped, rule: &rule{st: Step{Kind: Cut, Text: "cut " + d.String()}}}
	}
	// A packet that arms an `after` trigger is not itself acted on by
	// that rule: the step says "segments that follow" the trigger.
	fresh := map[*rule]bool{}
	for _, r := range e.rules {
		if r.st.After != nil && !r.triggered && matches(r.st.After, r.after, d, s) {
			r.triggered, fresh[r] = true, true
		}
	}
	for i, r := range e.rules {
		if fresh[r] || (r.st.After != nil && !r.triggered) || !matches(&r.st.Match, r.dir, d, s) {
			continue
		}
		v := verdict{act: actionOf(r.st.Kind), rule: r}
		if r.st.Kind != Hold {
			if r.left--; r.left == 0 {
				e.rules = append(e.rules[:i:i], e.rules[i+1:]...)
			}
		}
		return v
	}
	return verdict{act: Forwarded}
}

func actionOf(k Kind) Action {
	switch k {
	case Drop:
		return Dropped
	case Delay:
		return Delayed
	case Dup:
		return Duplicated
	case Hold:
		return Held
	}
	return Forwarded
}

// release disarms every hold rule and returns what they kept, in the
// order it reached the wire.
func (e *engine) release() []held {
	kept := e.rules[:0]
	for _, r := range e.rules {
		if r.st.Kind != Hold {
			kept = append(kept, r)
		}
	}
	clear(e.rules[len(kept):])
	e.rules = kept
	h := e.held
	e.held = nil
	return h
}

// pending reports the rules not yet used up (for tests and diagnostics).
func (e *engine) pending() int { return len(e.rules) }
