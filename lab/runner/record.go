package runner

import (
	"fmt"
	"os"
	"slices"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
)

// NoteNeedRoot is the note a Result carries when packets and states were
// not recorded because the process is not root.
const NoteNeedRoot = "packets and states were not recorded: capturing packets and tracing states need root (AF_PACKET and tracefs); the calls and their results were recorded"

// startRecorders starts what this process may record. Without root the
// run goes on with calls only and says so once. Only a -pcap file that
// cannot be created is an error: the user asked for it by name.
func (r *run) startRecorders() (func(), error) {
	noop := func() {}
	switch {
	case r.opts.NoWire:
		return noop, nil
	case os.Geteuid() != 0:
		r.notes = append(r.notes, NoteNeedRoot)
		return noop, nil
	}
	stop, err := startWire(r)
	if err != nil {
		r.notes = append(r.notes, "recorders failed, packets and states not recorded: "+err.Error())
		return noop, nil
	}
	r.wire = true
	if r.opts.PcapDir == "" {
		return stop, nil
	}
	f, path, err := openPcap(r)
	if err != nil {
		stop()
		return noop, err
	}
	r.pcap = path
	return func() {
		stop()
		r.mu.Lock()
		segs, wevs := r.segs, r.wireEvs
		r.mu.Unlock()
		var err error
		if r.w != nil {
			err = wire.WritePcap(f, wevs) // the wire is the capture point
		} else {
			err = writePcap(f, segs)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.notes = append(r.notes, fmt.Sprintf("pcap %s: %v", path, err))
		}
	}, nil
}

// snapshot records the socket table for the run's ports now.
func (r *run) snapshot() {
	rows, err := listSockets(r)
	if err != nil {
		r.note("", "socket table: %v", err)
		return
	}
	r.record(lab.Event{Kind: lab.KindSnapshot, Snapshot: &lab.Snapshot{Rows: rows}})
}

// finish turns the recording into the Result: timeline, expectations,
// verdicts, status.
func (r *run) finish(res *lab.Result) {
	r.mu.Lock()
	rec := &Recording{Start: r.start, Calls: r.calls, Segments: r.segs, Wire: r.wireEvs, OneWay: r.oneWay(), Transitions: r.trans, Sockets: r.socks}
	res.Loss = r.loss
	res.Moments = slices.Sorted(slices.Values(r.moments))
	r.mu.Unlock()
	res.Events = Timeline(rec)
	res.Notes = r.notes
	res.Pcap = r.pcap
	recorded := lab.Recorded{Packets: r.wire, States: r.wire && !r.noStates}
	res.Expects = lab.CheckExpectsOf(r.s, r.variant, res.Events, recorded)
	res.Verdicts = lab.ComputeVerdictsOf(r.s, r.variant, res.Events, recorded)
	setStatus(res)
}

// setStatus decides Passed and Status from the expectations, the error and
// the losses. Losses come before failures: an expectation that failed on a
// timeline missing packets says nothing about the kernel.
func setStatus(res *lab.Result) {
	res.Passed = res.Err == "" && allHeld(res.Expects)
	switch {
	case res.Err != "":
		res.Status = lab.StatusFailed
	case res.Loss.Any():
		res.Status, res.Reason = lab.StatusInconclusive, lab.InconclusiveReason(res.Loss)
	case res.Passed:
		res.Status = lab.StatusPassed
	default:
		res.Status = lab.StatusFailed
	}
}

func allHeld(es []lab.Expectation) bool {
	for _, e := range es {
		if !e.OK && !e.Skipped {
			return false
		}
	}
	return true
}
