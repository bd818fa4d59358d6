package lab

import (
	"os"
	"slices"
)

// NoteNeedRoot is the note a Result carries when packets and states were
// not recorded because the process is not root.
const NoteNeedRoot = "packets and states need root (packet capture and tracefs): not recorded; calls and results are"

// NeedsRoot starts Result.Err when a scenario could not run only because
// the process is not root (it needs a private network namespace).
const NeedsRoot = "needs root"

// wireRecorder starts packet capture and state tracing on the run's ports
// and returns the function that stops them. It is set by record_linux.go
// once the recorder packages are available on this platform.
var wireRecorder func(r *run) (stop func(), err error)

// socketTable, when set, reads the socket table for the run's ports.
var socketTable func(r *run) ([]SockRow, error)

// startRecorders starts what this process may record. Without root the
// run goes on with calls only and says so once.
func (r *run) startRecorders() func() {
	noop := func() {}
	switch {
	case r.opts.NoWire:
		return noop
	case os.Geteuid() != 0:
		r.notes = append(r.notes, NoteNeedRoot)
		return noop
	case wireRecorder == nil:
		r.notes = append(r.notes, "packet capture and state tracing are not available on this platform")
		return noop
	}
	stop, err := wireRecorder(r)
	if err != nil {
		r.notes = append(r.notes, "recorders failed, packets and states not recorded: "+err.Error())
		return noop
	}
	r.wire = true
	return stop
}

// snapshot records the socket table for the run's ports now.
func (r *run) snapshot() {
	if socketTable == nil {
		r.note("", "socket table not available")
		return
	}
	rows, err := socketTable(r)
	if err != nil {
		r.note("", "socket table: %v", err)
		return
	}
	r.record(Event{Kind: KindSnapshot, Snapshot: &Snapshot{Rows: rows}})
}

// finish turns the recording into the Result: timeline, expectations,
// verdicts.
func (r *run) finish(res *Result) {
	r.mu.Lock()
	rec := &Recording{Start: r.start, Calls: r.calls, Segments: r.segs, Transitions: r.trans, Sockets: r.socks}
	r.mu.Unlock()
	res.Events = Timeline(rec)
	res.Notes = r.notes
	res.Expects = checkExpects(r.s, r.variant, res.Events, r.wire)
	res.Verdicts = computeVerdicts(r.s, r.variant, res.Events, r.wire)
	res.Passed = res.Err == "" && !slices.ContainsFunc(res.Expects, func(e Expectation) bool { return !e.OK && !e.Skipped })
}
