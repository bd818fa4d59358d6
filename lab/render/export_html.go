package render

import "github.com/tcpteardown/teardown/lab"

// Accessors for other renderers (the HTML/SVG report in lab/report), so
// that every picture of a run labels packets, calls and states the same
// way as the terminal diagram. They apply the same sanitising (control
// characters made visible) and, with NormalizeTimes, the same port hiding;
// escaping for a markup language is the caller's job.

// PacketLabel is an arrow's label as tcpdump prints it ("[F.] seq 4 ack 1")
// and the packet's payload text, kept apart because it is shown only when
// there is room.
func PacketLabel(p *lab.Packet, o *Options) (label, info string) {
	d := &drawer{o: withDefaults(o)}
	return d.packetLabel(p), d.info(p)
}

// CallLabel is a call as a lane shows it: `op(args) = result data [dur]`.
func CallLabel(c *lab.Call, o *Options) string {
	d := &drawer{o: withDefaults(o)}
	return d.call(c)
}

// StateLabel is a state change as a lane shows it: the new state in ss
// spelling, "~" when inferred, the reset that caused it in the options'
// language.
func StateLabel(s *lab.State, o *Options) string {
	d := &drawer{o: withDefaults(o)}
	return d.state(s)
}

// Actors lists a result's actors in lane order (Result.Actors, then any
// other actor its events name).
func Actors(r lab.Result) []string { return actorsOf(r) }

// Translate returns the renderer's fixed word s in lang ("en" or "zh");
// words it does not know are returned unchanged.
func Translate(lang, s string) string { return Options{Lang: lang}.tr(s) }

// InferredLegend explains the "~" of an inferred state in lang.
func InferredLegend(lang string) string { return Options{Lang: lang}.legend() }

// Sanitize makes text from the kernel or a scenario file safe to lay out:
// control characters become visible escapes, invalid UTF-8 U+FFFD.
func Sanitize(s string) string { return sanitize(s) }

// CleanMeasured is how texts the runner computed (observations, notes,
// what an expectation got) are shown: sanitised and, with NormalizeTimes,
// ports hidden and measured durations rounded.
func CleanMeasured(s string, o *Options) string { return withDefaults(o).cleanMeasured(s) }
