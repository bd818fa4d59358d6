package report

import "github.com/tcpteardown/teardown/lab"

// Options controls a report. A nil *Options means the defaults: English
// shown first, at most DefaultMaxArrows arrows per diagram, the wire's
// marks as the packets carry them.
type Options struct {
	// Lang is the language the page opens in, "en" (default) or "zh";
	// the page carries both and a button switches between them.
	Lang string
	// Title heads the HTML page (default "teardown lab").
	Title string
	// Kernel is the kernel release the runs were recorded on (lab.Run's),
	// shown under the title when set.
	Kernel string
	// MaxArrows bounds the packet arrows drawn per diagram; beyond it,
	// runs of ordinary segments are folded into one "N more segments"
	// mark that counts them (SYN, FIN and RST are kept as long as the
	// bound allows). Default DefaultMaxArrows; negative means no bound.
	MaxArrows int
	// WireMark tells what the wire did to a packet: "dropped", "delayed",
	// "injected", "duplicated" or "" (delivered as sent). Nil reads the
	// packet's own mark, lab.Packet.Wire, which the lab's wire records.
	WireMark func(*lab.Packet) string
	// Badge, when set, labels each run instead of passed/FAILED: a
	// connection read from a capture has an ending, not a test result
	// (teardown explain). It returns the badge's kind — "pass", "fail" or
	// "err", which set its colour — and its text.
	Badge func(lab.Result) (kind, text string)
}

// DefaultMaxArrows keeps a diagram readable and the page small: the
// catalog's largest runs (linger, ~1400 segments each) fold to it.
const DefaultMaxArrows = 160

func withDefaults(o *Options) Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.Lang != "zh" {
		v.Lang = "en"
	}
	if v.Title == "" {
		v.Title = "teardown lab"
	}
	if v.MaxArrows == 0 {
		v.MaxArrows = DefaultMaxArrows
	}
	return v
}

// mark is the wire's mark of p, reduced to a CSS class name.
func (o Options) mark(p *lab.Packet) string {
	m := p.Wire
	if o.WireMark != nil {
		m = o.WireMark(p)
	}
	switch m {
	case MarkDropped, MarkDelayed, MarkInjected, MarkDuplicated:
		return m
	}
	return ""
}

// The wire's marks: what a fault rule did to a segment.
const (
	MarkDropped    = "dropped"    // lost on the wire: the arrow ends in ✕ before the receiver
	MarkDelayed    = "delayed"    // held back: ⧗ beside the label, the arrow slanted by the delay
	MarkInjected   = "injected"   // made by the wire, not by a socket: + where it starts
	MarkDuplicated = "duplicated" // sent once, delivered twice: ⧉ beside the label
)
