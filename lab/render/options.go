package render

import "io"

// Options controls how results are drawn. A nil *Options means the
// defaults: 100 columns, no colour, English, real times.
type Options struct {
	// Width is the maximum display width of every line, in terminal
	// columns (a Chinese character counts two). Default 100, at least 40.
	Width int
	// Color adds ANSI colours; the CLI sets it only when stdout is a
	// terminal, so pipes and files get plain text.
	Color bool
	// Lang is "en" (default) or "zh": fixed labels are translated and
	// verdicts use Verdict.SaidZh / WhyZh where the scenario provides them.
	Lang string
	// NormalizeTimes replaces every time by the event's rank, durations by
	// coarse figures, and hides ports, socket timers and run times, so that
	// two runs of the same scenario draw the same diagram (golden tests).
	NormalizeTimes bool
	// HideDurations, with NormalizeTimes, drops measured durations too
	// (long calls' "[~0.3 s]", "first at ~0.3 s" becomes "first at ~t"):
	// for comparing real runs on a loaded machine, where a starved thread
	// moves a figure by more than its 0.1 s bucket while the packets,
	// states and results stay the same.
	HideDurations bool
}

const (
	defaultWidth = 100
	minWidth     = 40
)

// withDefaults returns a copy of o with the defaults filled in.
func withDefaults(o *Options) Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.Width <= 0 {
		v.Width = defaultWidth
	}
	v.Width = max(v.Width, minWidth)
	if v.Lang != "zh" {
		v.Lang = "en"
	}
	return v
}

func (o Options) printer(w io.Writer) *printer {
	return &printer{w: w, width: o.Width, colors: o.Color}
}
