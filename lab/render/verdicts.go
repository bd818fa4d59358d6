package render

import (
	"fmt"

	"github.com/tcpteardown/teardown/lab"
)

// expectations lists the scenario's `expect` lines: ✓ held, ✗ did not
// (with what was seen instead), - skipped because packets and states were
// not recorded (never guessed).
func (o Options) expectations(p *printer, xs []lab.Expectation) {
	if len(xs) == 0 {
		return
	}
	held, counted, skipped := lab.TallyExpectations(xs)
	head := fmt.Sprintf("%s %d/%d", o.tr("expectations"), held, counted)
	if skipped > 0 {
		head += fmt.Sprintf(" (%d %s)", skipped, o.tr("skipped"))
	}
	p.text("")
	p.at(0, head, bold)
	for _, x := range xs {
		o.expectation(p, x)
	}
}

func (o Options) expectation(p *printer, x lab.Expectation) {
	mark, c := "✓", green
	text := sanitize(x.Text)
	switch {
	case x.Skipped:
		mark, c = "-", dim
		text += " (" + o.tr("skipped: not recorded") + ")"
	case !x.OK:
		mark, c = "✗", red
	}
	num := ""
	if x.Line > 0 {
		num = fmt.Sprint(x.Line)
	}
	l := new(line).put(2, mark, c).put(4, padLeft(num, 4), dim)
	lines := wrap(text, p.width-10)
	l.put(10, lines[0], plain)
	p.line(l)
	for _, s := range lines[1:] {
		p.at(10, s, plain)
	}
	if !x.OK && !x.Skipped && x.Got != "" {
		p.wrapped(10, o.tr("got")+": ", o.cleanMeasured(x.Got), red, plain)
	}
}

// verdicts prints, per claim, the verdict and the three texts behind it:
// what the seed said, what the events show, and why the kernel does it.
func (o Options) verdicts(p *printer, vs []lab.Verdict) {
	if len(vs) == 0 {
		return
	}
	p.text("")
	p.at(0, o.tr("verdicts"), bold)
	claimW := 0
	for _, v := range vs {
		claimW = max(claimW, Width(sanitize(v.Claim)))
	}
	for _, v := range vs {
		o.verdict(p, v, claimW)
	}
}

func (o Options) verdict(p *printer, v lab.Verdict, claimW int) {
	indent := 2 + claimW + 2
	p.line(new(line).put(2, sanitize(v.Claim), bold).put(indent, o.tr(string(v.Verdict)), verdictColor(v.Verdict)))
	said, why := v.Said, v.Why
	if o.Lang == "zh" {
		said, why = orElse(v.SaidZh, said), orElse(v.WhyZh, why)
	}
	labelW := max(Width(o.tr("said")), Width(o.tr("observed")), Width(o.tr("why"))) + 2
	for _, f := range [][2]string{{"said", o.clean(said)}, {"observed", o.cleanMeasured(v.Observed)}, {"why", o.clean(why)}} {
		if f[1] != "" {
			p.wrapped(indent, pad(o.tr(f[0]), labelW), f[1], dim, plain)
		}
	}
}

func orElse(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// verdictColor: agreement green, disagreement red, in between yellow.
func verdictColor(v lab.VerdictKind) color {
	switch v {
	case lab.Agrees:
		return green
	case lab.Differs:
		return boldRd
	case lab.Partly:
		return yellow
	}
	return dim
}
