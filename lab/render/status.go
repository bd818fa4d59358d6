package render

import (
	"strings"

	"github.com/tcpteardown/teardown/lab"
)

// outcome is how a result is shown: its mark in the summary, its word and
// color. Results saved before Status existed have none: they are judged by
// Err and Passed as then.
func (o Options) outcome(r lab.Result) (mark, word string, c color) {
	switch {
	case r.Status == lab.StatusSkipped:
		return "-", "skipped", yellow
	case r.Status == lab.StatusInconclusive:
		return "?", "inconclusive", yellow
	case r.Status == lab.StatusInterrupted:
		return "!", "interrupted", yellow
	case r.Err != "":
		return "!", "error", boldRd
	case r.Passed:
		return "✓", "passed", green
	}
	return "✗", "FAILED", boldRd
}

// reason is the sentence that goes with a skipped, inconclusive or
// interrupted result ("" otherwise), always whole.
func (o Options) reason(r lab.Result) string {
	switch r.Status {
	case lab.StatusSkipped, lab.StatusInconclusive, lab.StatusInterrupted:
		return sanitize(r.Reason)
	}
	return ""
}

// fitName fits "scenario/variant" into w columns so that variants of one
// scenario stay distinguishable: the scenario's name gives way first
// ("linger-e…/nonblock"), the variant only when it alone is too wide.
func fitName(r lab.Result, w int) string {
	name := scenarioName(r)
	if Width(name) <= w || r.Variant == "" {
		return truncate(name, w)
	}
	v := "/" + sanitize(r.Variant)
	room := w - Width(v)
	if room < 4 {
		return truncate(strings.TrimPrefix(v, "/"), w)
	}
	return truncate(sanitize(r.Name), room) + v
}
