package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// csp forbids the page every request: it is one file that must open from
// disk offline, and anything it tried to fetch would be a leak of the
// reader's address to whoever a scenario file names.
const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:`

// WriteHTML writes one self-contained page: an index of the runs, then a
// section per run (id NAME or NAME/VARIANT) with its title, claims, notes,
// sequence diagram, verdict cards and expectations.
func WriteHTML(w io.Writer, results []lab.Result, o *Options) error {
	opt := withDefaults(o)
	b := &strings.Builder{}
	opt.head(b, results)
	opt.index(b, results)
	b.WriteString("<main>\n")
	for _, r := range results {
		opt.section(b, r)
	}
	b.WriteString("</main>\n")
	opt.foot(b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (o Options) head(b *strings.Builder, results []lab.Result) {
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html lang=\"%s\" data-lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", o.Lang, o.Lang)
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + csp + `">` + "\n")
	b.WriteString(`<meta name="color-scheme" content="light dark">` + "\n")
	fmt.Fprintf(b, "<title>%s</title>\n<style>%s%s</style>\n</head>\n<body>\n", esc(o.Title), pageCSS, svgCSS)
	fmt.Fprintf(b, `<header class="top"><h1>%s</h1><p class="sub">%s</p><button id="lang" type="button">中文</button></header>`+"\n",
		esc(o.Title), o.subtitle(results))
}

// subtitle is the kernel and the totals line of the text summary.
func (o Options) subtitle(results []lab.Result) string {
	var s string
	if o.Kernel != "" {
		s = "Linux " + esc(o.Kernel) + " · "
	}
	passed := 0
	for _, r := range results {
		if r.Err == "" && r.Passed {
			passed++
		}
	}
	if o.Badge != nil { // a capture's connections or a probe's checks: no pass or fail
		return s + fmt.Sprintf("%d ", len(results)) + biText("diagrams", "幅图")
	}
	return s + fmt.Sprintf("%d ", len(results)) + biText("runs", "次运行") + fmt.Sprintf(", %d ", passed) + bi("passed")
}

// index is a table of the runs, each linking to its section.
func (o Options) index(b *strings.Builder, results []lab.Result) {
	if o.Badge != nil {
		o.connIndex(b, results)
		return
	}
	fmt.Fprintf(b, `<nav><table class="index"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>`+"\n",
		bi("scenario"), biText("title", "标题"), bi("verdicts"), bi("expectations"))
	for _, r := range results {
		id := esc(name(r))
		fmt.Fprintf(b, `<tr><td><a href="#%s">%s</a> %s</td><td>%s</td><td>%s</td><td>%s</td></tr>`+"\n",
			id, id, o.statusBadge(r), esc(r.Title), verdictBadges(r.Verdicts), expectCount(r.Expects))
	}
	b.WriteString("</tbody></table></nav>\n")
}

func (o Options) statusBadge(r lab.Result) string {
	if o.Badge != nil {
		kind, text := o.Badge(r)
		return `<span class="badge ` + esc(kind) + `">` + esc(text) + `</span>`
	}
	switch {
	case r.Err != "":
		return `<span class="badge err">` + bi("error") + `</span>`
	case r.Passed:
		return `<span class="badge pass">` + bi("passed") + `</span>`
	}
	return `<span class="badge fail">` + bi("FAILED") + `</span>`
}

// connIndex is the index of a capture's connections: no verdicts or
// expectations, the ending as the badge.
func (o Options) connIndex(b *strings.Builder, results []lab.Result) {
	fmt.Fprintf(b, `<nav><table class="index"><thead><tr><th>%s</th><th>%s</th></tr></thead><tbody>`+"\n",
		biText("connection", "连接"), biText("endpoints", "端点"))
	for _, r := range results {
		id := esc(name(r))
		fmt.Fprintf(b, `<tr><td><a href="#%s">%s</a> %s</td><td>%s</td></tr>`+"\n", id, id, o.statusBadge(r), esc(r.Title))
	}
	b.WriteString("</tbody></table></nav>\n")
}

// verdictBadges is a badge per claim coloured by its verdict.
func verdictBadges(vs []lab.Verdict) string {
	var s []string
	for _, v := range vs {
		s = append(s, fmt.Sprintf(`<span class="badge %s" title="%s">%s %s</span>`,
			verdictClass(v.Verdict), esc(string(v.Verdict)), esc(v.Claim), bi(render.Sanitize(string(v.Verdict)))))
	}
	return strings.Join(s, "")
}

// verdictClass is a CSS class for a verdict word from the scenario file.
func verdictClass(v lab.VerdictKind) string {
	switch v {
	case lab.Agrees, lab.Differs, lab.Partly:
		return string(v)
	}
	return "not-observed"
}

func expectCount(xs []lab.Expectation) string {
	held, counted, skipped := lab.TallyExpectations(xs)
	s := fmt.Sprintf("%d/%d", held, counted)
	if skipped > 0 {
		s += fmt.Sprintf(" (%d %s)", skipped, bi("skipped"))
	}
	return s
}

func (o Options) foot(b *strings.Builder) {
	b.WriteString(`<footer><p>` + biText(
		"Time flows down; idle pauses are cut (⫽) and labelled with their length. Arrows are segments on the wire, labelled as tcpdump prints them; boxes are socket calls with the kernel's answer; rounded labels are TCP states (dashed: inferred). Hover or focus (Tab) an arrow for its full line.",
		"时间自上而下；空闲时段被截断（⫽）并标出时长。箭头是线路上的报文段，按 tcpdump 的格式标注；方框是套接字调用及内核的返回；圆角标签是 TCP 状态（虚线：推断）。悬停或用 Tab 聚焦箭头可看完整一行。") +
		"</p></footer>\n")
	b.WriteString("<script>" + pageJS + "</script>\n</body>\n</html>\n")
}
