package report

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// laneText is what a call, state, note or socket-table row shows on its
// lane, in the text diagram's words.
func (d *diagram) laneText(p placed) string {
	switch p.kind {
	case rowCall:
		return render.CallLabel(p.ev.Call, nil)
	case rowState:
		return render.StateLabel(p.ev.State, nil)
	case rowNote:
		return "» " + render.CleanMeasured(p.ev.Note.Text, nil)
	case rowSnap:
		return snapText(p.row)
	}
	return ""
}

// snapText is a socket-table row as ss would summarise it.
func snapText(r lab.SockRow) string {
	s := fmt.Sprintf("ss: %s q %d/%d", r.State, r.RecvQ, r.SendQ)
	if r.Timer != "" {
		s += " " + r.Timer
		if r.Expiry > 0 {
			s += fmt.Sprintf(" %.1fs", r.Expiry/1e3)
		}
	}
	if r.Orphan {
		s += " orphan"
	}
	return s
}

// laneBox draws a call as a box on its lane, a state change as a rounded
// label (dashed when inferred), a note or an ss row as plain text.
func (d *diagram) laneBox(b *strings.Builder, p placed) {
	text := d.laneText(p)
	shown := fit(text, maxBox)
	w := textPx(shown) + 14
	x := d.laneX[d.lane(p)]
	left := x - w/2
	if p.kind == rowNote && p.ev.Note.Actor == "" {
		left = d.laneX[0] - 40 // a note on the whole scenario
	}
	class, title := d.boxClass(p), d.boxTitle(p, text)
	fmt.Fprintf(b, `<g class="%s"><title>%s</title>`, class, esc(title))
	if p.kind == rowCall || p.kind == rowState {
		rx := 3
		if p.kind == rowState {
			rx = 9
		}
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="19" rx="%d"/>`, f(left), f(p.y+2), f(w), rx)
	}
	fmt.Fprintf(b, `<text x="%s" y="%s">%s</text></g>`+"\n", f(left+7), f(p.y+16), d.boxLabel(p, shown))
}

// boxLabel is the escaped label; a state caused by a reset is written in
// both languages ("CLOSE (reset sent)", "CLOSE (发出 RST)").
func (d *diagram) boxLabel(p placed, shown string) string {
	if p.kind != rowState || p.ev.State.Reset == "" {
		return esc(shown)
	}
	zh := render.StateLabel(p.ev.State, &render.Options{Lang: "zh"})
	return biSVG(shown, zh)
}

func (d *diagram) boxClass(p placed) string {
	switch p.kind {
	case rowCall:
		return "call " + resultClass(p.ev.Call.Result)
	case rowState:
		c := "state"
		if p.ev.State.Inferred {
			c += " inferred"
		}
		if p.ev.State.Reset != "" {
			c += " reset"
		}
		return c
	case rowSnap:
		return "snapshot"
	}
	return "note"
}

// resultClass colours a call by its result: end of file, an error (an
// errno name, a signal), a timeout, or success.
func resultClass(result string) string {
	switch {
	case result == "EOF":
		return "eof"
	case result == "timeout":
		return "timeout"
	case strings.HasPrefix(result, "E"), strings.HasPrefix(result, "killed"):
		return "err"
	}
	return "ok"
}

// boxTitle is the hover text: whose it is, when, and the whole text.
func (d *diagram) boxTitle(p placed, text string) string {
	t := fmt.Sprintf("%.3f ms  ", ms(p.t))
	switch p.kind {
	case rowCall:
		c := p.ev.Call
		return t + c.Actor + ": " + text + fmt.Sprintf("  (took %.3f ms)", ms(c.Dur))
	case rowState:
		s := p.ev.State
		t += s.Actor + ": " + s.From.String() + " → " + text
		if s.Inferred {
			t += "  — " + render.InferredLegend("en")
		}
		return t
	case rowSnap:
		return t + p.row.Actor + ": " + text + "  " + p.row.Local + " ↔ " + p.row.Remote
	}
	return t + p.ev.Note.Actor + ": " + text
}

// foldMark stands for a run of segments not drawn: how many, and on hover
// or focus their directions, flags, bytes and time span.
func (d *diagram) foldMark(b *strings.Builder, p placed) {
	g := p.fold
	x1, x2 := d.laneX[0], d.laneX[len(d.laneX)-1]
	if x1 == x2 {
		x2 = x1 + d.spacing
	}
	fmt.Fprintf(b, `<g class="fold" tabindex="0" data-packets="%d"><title>%s</title>`, g.count, esc(g.summary()+": "+g.detail()))
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="20" rx="4"/>`, f(x1), f(p.y+4), f(x2-x1))
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">⋯ %s ⋯</text></g>`+"\n", f((x1+x2)/2), f(p.y+18),
		biSVG(g.summary()+g.when(), fmt.Sprintf("另有 %d 个报文段（已折叠）", g.count)+g.when()))
}

// breakMark compresses an idle pause: the lifelines are cut by a double
// slash and the axis says how long nothing happened.
func (d *diagram) breakMark(b *strings.Builder, p placed) {
	ym := p.y + breakH/2
	fmt.Fprintf(b, `<g class="break"><rect class="gap" x="%s" y="%s" width="%s" height="8"/>`, f(axisW-12), f(ym-4), f(d.width-axisW+12))
	for _, x := range append([]float64{axisW - 8}, d.laneX...) {
		fmt.Fprintf(b, `<path d="M%s %sl10 -5M%s %sl10 -5"/>`, f(x-5), f(ym-1), f(x-5), f(ym+6))
	}
	fmt.Fprintf(b, `<text x="%s" y="%s">%s</text></g>`+"\n", f(axisW-14), f(ym+4),
		biSVG("+"+span(p.pause), "+"+span(p.pause)))
}

// legend explains the marks the diagram uses, under it.
func (d *diagram) legend(b *strings.Builder) {
	for _, p := range d.rows {
		if p.kind == rowState && p.ev.State.Inferred {
			fmt.Fprintf(b, `<text class="legend" x="%s" y="%s">%s</text>`+"\n", f(axisW), f(d.height-4),
				biSVG(render.InferredLegend("en"), render.InferredLegend("zh")))
			return
		}
	}
}
