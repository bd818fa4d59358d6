package report

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// section is one run: <section id="NAME[/VARIANT]"> holding its one <svg>.
func (o Options) section(b *strings.Builder, r lab.Result) {
	id := esc(name(r))
	fmt.Fprintf(b, `<section id="%s" class="scenario">`+"\n", id)
	fmt.Fprintf(b, `<h2><a href="#%s">%s</a> <span class="title">%s</span></h2>`+"\n", id, id, esc(titleSuffix(r)))
	if len(r.Claims) > 0 {
		fmt.Fprintf(b, `<p class="facts">%s %s: <span class="mono">%s</span></p>`+"\n",
			o.statusBadge(r), bi("claims"), esc(strings.Join(r.Claims, " ")))
	} else {
		fmt.Fprintf(b, `<p class="facts">%s</p>`+"\n", o.statusBadge(r))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, `<p class="note">%s: %s</p>`+"\n", bi("note"), esc(render.CleanMeasured(n, nil)))
	}
	if r.Err != "" {
		fmt.Fprintf(b, `<p class="error">%s: %s</p>`+"\n", bi("error"), esc(r.Err))
	}
	b.WriteString(`<div class="diagram">`)
	newDiagram(r, o).svg(b, false)
	b.WriteString("</div>\n")
	fmt.Fprintf(b, `<p class="detail" aria-live="polite">%s</p>`+"\n",
		biText("Hover or focus (Tab) an arrow to read its full line.", "悬停或用 Tab 聚焦箭头以查看完整一行。"))
	o.cards(b, r.Verdicts)
	o.expects(b, r.Expects)
	b.WriteString("</section>\n")
}

// cards: per claim, what the seed said, what this kernel did, and why.
func (o Options) cards(b *strings.Builder, vs []lab.Verdict) {
	if len(vs) == 0 {
		return
	}
	fmt.Fprintf(b, "<h3>%s</h3>\n<div class=\"cards\">\n", bi("verdicts"))
	for _, v := range vs {
		fmt.Fprintf(b, `<article class="card"><header><b>%s</b><span class="badge %s">%s</span></header><dl>`,
			esc(v.Claim), verdictClass(v.Verdict), bi(render.Sanitize(string(v.Verdict))))
		field := func(word, text string) {
			if text != "" {
				fmt.Fprintf(b, "<dt>%s</dt><dd>%s</dd>", bi(word), text)
			}
		}
		field("said", biText(v.Said, v.SaidZh))
		field("observed", esc(render.CleanMeasured(v.Observed, nil)))
		field("why", biText(v.Why, v.WhyZh))
		b.WriteString("</dl></article>\n")
	}
	b.WriteString("</div>\n")
}

// expects lists the scenario's expect lines: ✓ held, ✗ did not (with what
// was seen instead), – skipped (packets and states were not recorded).
func (o Options) expects(b *strings.Builder, xs []lab.Expectation) {
	if len(xs) == 0 {
		return
	}
	fmt.Fprintf(b, "<h3>%s %s</h3>\n<ul class=\"expects\">\n", bi("expectations"), expectCount(xs))
	for _, x := range xs {
		class, mark := "ok", "✓"
		switch {
		case x.Skipped:
			class, mark = "skipped", "–"
		case !x.OK:
			class, mark = "bad", "✗"
		}
		line := ""
		if x.Line > 0 {
			line = fmt.Sprint(x.Line)
		}
		fmt.Fprintf(b, `<li class="%s"><span class="mk">%s</span><span class="ln">%s</span><code>%s</code>`, class, mark, line, esc(x.Text))
		if class == "bad" && x.Got != "" {
			fmt.Fprintf(b, ` <span class="got">%s: %s</span>`, bi("got"), esc(render.CleanMeasured(x.Got, nil)))
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n")
}
