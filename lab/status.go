package lab

import (
	"errors"
	"fmt"
	"strings"
)

// Status is how one scenario run ended. The zero value is invalid: every
// Result the runner returns has one of the constants below.
type Status string

const (
	// StatusPassed: it ran and every expectation that could be checked held.
	StatusPassed Status = "passed"
	// StatusFailed: an expectation did not hold (the kernel did something
	// the scenario does not expect), or the scenario broke while running.
	StatusFailed Status = "failed"
	// StatusInconclusive: the recorders lost packets or state events, so
	// the timeline is not the whole story; nothing is concluded from it.
	StatusInconclusive Status = "inconclusive"
	// StatusSkipped: the scenario could not run here (Result.Reason says
	// why, e.g. it needs root); it is neither passed nor failed.
	StatusSkipped Status = "skipped"
	// StatusInterrupted: the run was cancelled (Ctrl-C, SIGTERM) before
	// it ended.
	StatusInterrupted Status = "interrupted"
)

func (s Status) String() string { return string(s) }

// ErrNeedsRoot is wrapped by the error of a scenario that cannot run
// without root (it needs a private network namespace). The runner turns it
// into StatusSkipped with the whole message as Result.Reason.
var ErrNeedsRoot = errors.New("needs root")

// Loss is what the recorders of a run lost. A run with any loss is
// inconclusive: a missing FIN or RST would otherwise read as the kernel not
// sending it.
type Loss struct {
	// CaptureDrops are packets the kernel dropped because the capture
	// ring was full (PACKET_STATISTICS tp_drops).
	CaptureDrops uint64 `json:"capture_drops,omitempty"`
	// TraceLost are state events the kernel dropped from the trace buffer
	// ("[LOST n EVENTS]" in trace_pipe).
	TraceLost uint64 `json:"trace_lost,omitempty"`
	// Undrained is set when the capture did not hand over everything it
	// held before it was stopped (its end marker never came back).
	Undrained bool `json:"capture_undrained,omitempty"`
	// RecorderErr is a recorder failing during the run.
	RecorderErr string `json:"recorder_error,omitempty"`
}

// Any reports whether anything was lost.
func (l *Loss) Any() bool { return l != nil && *l != Loss{} }

// String says what was lost, for the text output.
func (l *Loss) String() string {
	if !l.Any() {
		return ""
	}
	var parts []string
	if l.CaptureDrops > 0 {
		parts = append(parts, fmt.Sprintf("the kernel dropped %d captured packet(s) (ring full)", l.CaptureDrops))
	}
	if l.TraceLost > 0 {
		parts = append(parts, fmt.Sprintf("the kernel dropped %d state event(s) (trace buffer full)", l.TraceLost))
	}
	if l.Undrained {
		parts = append(parts, "the capture was stopped before it handed over every packet")
	}
	if l.RecorderErr != "" {
		parts = append(parts, "a recorder failed: "+l.RecorderErr)
	}
	return strings.Join(parts, "; ")
}

// InconclusiveReason is Result.Reason of a run with losses.
func InconclusiveReason(l *Loss) string {
	return "inconclusive, not failed: " + l.String() + "; the timeline may miss packets or states, run it again"
}
