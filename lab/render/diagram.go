package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
)

// Diagram draws one scenario run: a header (name, claims, notes, error),
// the sequence diagram of its events, its expectations and its verdicts.
func Diagram(w io.Writer, r lab.Result, o *Options) error {
	opt := withDefaults(o)
	p := opt.printer(w)
	opt.header(p, r)
	opt.timeline(p, r)
	opt.expectations(p, r.Expects)
	opt.verdicts(p, r.Verdicts)
	return p.err
}

func (o Options) header(p *printer, r lab.Result) {
	title := r.Name
	if r.Variant != "" {
		title += " (" + r.Variant + ")"
	}
	if r.Title != "" {
		title += " — " + r.Title
	}
	p.wrapped(0, "", sanitize(title), bold, bold)
	p.line(o.facts(r))
	for _, n := range r.Notes {
		p.wrapped(0, o.tr("note")+": ", o.cleanMeasured(n), yellow, plain)
	}
	if r.Err != "" {
		p.wrapped(0, o.tr("error")+": ", sanitize(r.Err), boldRd, red)
	}
	if why := o.reason(r); why != "" {
		_, word, c := o.outcome(r)
		p.wrapped(0, o.tr(word)+": ", why, c, plain)
	}
}

// facts is the line under the title: claims, pass/fail, run time.
func (o Options) facts(r lab.Result) *line {
	l := new(line)
	col := 0
	add := func(s string, c color) {
		if col > 0 {
			l.put(col, "·", dim)
			col += 2
		}
		l.put(col, s, c)
		col += Width(s) + 1
	}
	if len(r.Claims) > 0 {
		add(o.tr("claims")+": "+sanitize(strings.Join(r.Claims, " ")), plain)
	}
	_, word, c := o.outcome(r)
	add(o.tr(word), c)
	if !o.NormalizeTimes && r.Duration > 0 {
		add(o.tr("time")+" "+seconds(r.Duration), plain)
	}
	return l
}

// seconds formats a run time: "412.3 ms", "2.05 s".
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// row is one moment of the diagram: the items drawn at one time.
type row struct {
	t     time.Duration
	items []item
}

func (o Options) timeline(p *printer, r lab.Result) {
	events := sortedEvents(r.Events)
	actors := actorsOf(r)
	if o.NormalizeTimes {
		events = canonical(events, actors, r.Moments)
	}
	if len(events) == 0 && r.Status == lab.StatusSkipped {
		return // the header said why
	}
	p.text("")
	if len(events) == 0 {
		if r.Err == "" {
			p.at(0, o.tr("no events recorded"), dim)
		}
		return
	}
	stampW := o.stampWidth(events)
	d := &drawer{o: o, l: newLayout(actors, stampW+2, o.Width)}
	d.laneHeader(p, stampW)
	for i, rw := range d.rows(events) {
		d.drawRow(p, padLeft(o.stamp(rw.t, i), stampW), rw.items)
	}
	if anyInferred(events) {
		p.wrapped(0, "", o.legend(), dim, dim)
	}
}

// sortedEvents orders events by time, keeping the runner's order for
// events at the same time (cause before effect).
func sortedEvents(in []lab.Event) []lab.Event {
	out := append([]lab.Event(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}

// stamp is the time column: milliseconds since the scenario started, or
// the row's rank when times are normalised.
func (o Options) stamp(t time.Duration, i int) string {
	if o.NormalizeTimes {
		return fmt.Sprintf("#%d", i+1)
	}
	return fmt.Sprintf("%.3f", float64(t)/1e6)
}

func (o Options) stampWidth(events []lab.Event) int {
	w := max(Width(o.stamp(events[len(events)-1].T, len(events)-1)), Width(o.stamp(0, 0)))
	return max(w, Width("t(ms)"))
}

func (d *drawer) laneHeader(p *printer, stampW int) {
	l := new(line)
	head := "t(ms)"
	if d.o.NormalizeTimes {
		head = "#"
	}
	l.put(0, padLeft(head, stampW), dim)
	for i, name := range d.l.names {
		l.put(d.l.cols[i], truncate(sanitize(name), d.l.textW(i)), bold)
	}
	p.line(l)
}

// rows turns events into rows. Consecutive one-line lane texts at exactly
// the same time in different lanes share a row (both sides ESTABLISHED at
// 0.000); packets and notes always get a row of their own.
func (d *drawer) rows(events []lab.Event) []row {
	var out []row
	for _, e := range events {
		its := d.items(e)
		if len(its) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].t == e.T && d.mergeable(out[n-1].items, its) {
			out[n-1].items = append(out[n-1].items, its...)
			continue
		}
		out = append(out, row{t: e.T, items: its})
	}
	return out
}

func (d *drawer) mergeable(a, b []item) bool {
	used := map[int]bool{}
	for _, it := range append(append([]item(nil), a...), b...) {
		if it.kind != laneText || used[it.lane] || Width(it.text) > d.l.textW(it.lane) {
			return false
		}
		used[it.lane] = true
	}
	return true
}

// drawRow prints a row: the stamp on its first line, lane texts wrapped
// inside their lanes and stacked, an arrow or a full-width note.
func (d *drawer) drawRow(p *printer, stamp string, items []item) {
	var lines []*line
	at := func(i int) *line {
		for len(lines) <= i {
			lines = append(lines, new(line))
		}
		return lines[i]
	}
	at(0).put(0, stamp, dim)
	next := map[int]int{} // lane → its next free line
	for _, it := range items {
		switch it.kind {
		case arrow:
			d.arrow(at(0), it)
		case fullText:
			for i, s := range wrap(it.text, d.l.width-d.l.timeW) {
				at(i).put(d.l.timeW, s, it.c)
			}
		case laneText:
			if col, ok := d.shifted(it, items); ok {
				at(0).put(col, it.text, it.c)
				continue
			}
			for _, s := range wrap(it.text, max(d.room(it.lane, items), 2)) {
				at(next[it.lane]).put(d.l.cols[it.lane], s, it.c)
				next[it.lane]++
			}
		}
	}
	for _, l := range lines {
		p.line(l)
	}
}

// room is how wide a text in lane may be on a row: up to the next lane
// that the row uses, so that a long call in a narrow lane (backlog's five
// actors) runs on over the empty lanes to its right instead of wrapping.
func (d *drawer) room(lane int, items []item) int {
	next := len(d.l.cols)
	for _, it := range items {
		if it.kind == laneText && it.lane > lane {
			next = min(next, it.lane)
		}
	}
	if next == len(d.l.cols) {
		return d.l.width - d.l.cols[lane]
	}
	return d.l.cols[next] - 1 - d.l.cols[lane]
}

// shifted places a text of the shared lane that does not fit it against
// the right edge instead of wrapping it into a narrow column; its "c3:"
// tag says whose it is. Only when it is alone on its row.
func (d *drawer) shifted(it item, items []item) (int, bool) {
	w := Width(it.text)
	if it.lane != d.l.fold || len(items) != 1 || w <= d.l.textW(it.lane) || w > d.l.width-d.l.timeW {
		return 0, false
	}
	return d.l.width - w, true
}

func anyInferred(events []lab.Event) bool {
	for _, e := range events {
		if e.State != nil && e.State.Inferred {
			return true
		}
	}
	return false
}
