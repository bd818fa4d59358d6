package lab

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// A scenario file is untrusted input to a process that usually runs as
// root (docs/security.md): every quantity it can ask for is bounded here,
// and each bound is reported with the file and line that crossed it. The
// built-in catalog stays well inside every limit (docs/scenario-format.md
// lists them with the catalog's largest values).
const (
	MaxFileBytes = 256 << 10 // whole file
	MaxLineBytes = 4096      // one line, comments included
	MaxVariants  = 16
	MaxActors    = 16
	MaxSteps     = 256
	MaxExpects   = 128
	MaxRules     = 128
	MaxAtoms     = 32 // conditions joined by `and` in one expect or verdict
	MaxSysctls   = 16
	MaxClaims    = 32
	MaxRepeat    = 100
	MaxRuns      = 200 // repeat × variants

	MaxDuration  = 30 * time.Second // any one duration (sleep, wait=, every=, fork-holder)
	MaxRunBudget = 2 * time.Minute  // the longest one run could take: every step waiting its whole bound
	MaxBudget    = 30 * time.Minute // the same over every run of the file

	MaxPayload   = 4 << 20  // bytes of one write/send/sendto N
	MaxReadCount = 1 << 20  // bytes of one read N (its buffer)
	MaxBacklog   = 4096     // listen backlog=N (the kernel's default somaxconn)
	MaxCount     = 64 << 20 // any other number (socket option values, ioctl until=, len, count)
)

// limitReader fails once more than MaxFileBytes were read, so a huge file
// is refused while being read, not after.
type limitReader struct {
	r    io.Reader
	left int64
}

var errFileTooBig = fmt.Errorf("the file is larger than %d KiB, the limit for a scenario file", MaxFileBytes>>10)

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errFileTooBig
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// within reports an error when adding one more of what would pass limit.
func (p *parser) within(have, limit int, what string) error {
	if have >= limit {
		return p.errf("more than %d %s in one scenario (the limit; see docs/scenario-format.md)", limit, what)
	}
	return nil
}

// checkBudget bounds the total time a file can ask for. Every step has a
// worst case (its sleep, the whole wait it may spend before giving up,
// explicit or the runner's default, or its linger time), an actor runs its
// steps one after another, and actors run at the same time: so one run
// lasts at most as long as its slowest actor's sum (plus set-up).
func (p *parser) checkBudget() error {
	var run time.Duration
	lanes := []string{WireLane} // the wire's lane waits like an actor
	for _, a := range p.s.Actors {
		lanes = append(lanes, a.Name)
	}
	for _, lane := range lanes {
		var sum time.Duration
		for i := range p.s.Steps {
			if st := &p.s.Steps[i]; st.Actor == lane {
				sum += stepBudget(st)
				if sum > MaxRunBudget {
					p.line = st.Line
					return p.errf("actor %s's steps up to here could wait %v in one run, more than the limit %v: shorten sleeps and waits", lane, sum.Round(time.Millisecond), MaxRunBudget)
				}
			}
		}
		run = max(run, sum)
	}
	runs := time.Duration(max(p.s.Repeat, 1) * max(len(p.s.Variants), 1))
	if run*runs > MaxBudget {
		return p.errf("%d runs of up to %v each could take %v, more than the limit %v: fewer variants, a smaller repeat or shorter waits", runs, run.Round(time.Millisecond), (run * runs).Round(time.Second), MaxBudget)
	}
	return nil
}

// stepBudget is the longest one step can take.
func stepBudget(st *Step) time.Duration {
	var d time.Duration
	switch st.Op {
	case "sleep", "fork-holder":
		d, _ = ParseDuration(st.Args[0])
	case "linger":
		if n, err := strconv.Atoi(st.Args[0]); err == nil {
			d = time.Duration(n) * time.Second // a later close may block this long
		}
	case "wait":
		d = BarrierWait
		if len(st.Args) == 2 {
			d = DefaultWait
		}
	case "connect", "accept", "write", "read", "recv", "echo", "ioctl", "kill", "exit":
		d = DefaultWait
	}
	if v, ok := st.Opts["wait"]; ok {
		d, _ = ParseDuration(v)
	}
	return d
}

// How long a step waits for the kernel when the scenario names no wait=.
const (
	DefaultWait = 2 * time.Second  // read, accept, connect, write
	BarrierWait = 10 * time.Second // wait NAME
)
