package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
)

// Summary prints the table shown after the whole catalog: one row per
// scenario run (✓ every expectation held, ✗ one did not, ! it broke or was
// interrupted, ? inconclusive: the recorders lost events, - skipped: it
// could not run here) with its claims, verdicts condensed, expectations held and run time,
// then a line of totals.
func Summary(w io.Writer, results []lab.Result, o *Options) error {
	opt := withDefaults(o)
	p := opt.printer(w)
	t := opt.table(results)
	p.line(t.row("", opt.tr("scenario"), opt.tr("claims"), opt.tr("verdict"), opt.tr("expects"), opt.tr("time"), bold))
	for _, r := range results {
		p.line(opt.resultRow(t, r))
	}
	opt.reasons(p, results)
	p.text("")
	p.wrapped(0, "", opt.totals(results), bold, bold)
	return p.err
}

// reasons says in full, under the table, why runs were skipped, are
// inconclusive or were interrupted: the table's cell has room for the
// start only. Variants with the same reason share one line.
func (o Options) reasons(p *printer, results []lab.Result) {
	type group struct {
		word, reason string
		c            color
		names        []string
	}
	var groups []*group
	index := map[string]*group{}
	for _, r := range results {
		why := o.reason(r)
		if why == "" {
			continue
		}
		_, word, c := o.outcome(r)
		key := r.Name + "\x00" + word + "\x00" + why
		g := index[key]
		if g == nil {
			g = &group{word: word, reason: why, c: c}
			index[key] = g
			groups = append(groups, g)
		}
		g.names = append(g.names, scenarioName(r))
	}
	if len(groups) > 0 {
		p.text("")
	}
	for _, g := range groups {
		p.wrapped(2, "", o.tr(g.word)+" "+strings.Join(g.names, ", ")+": "+g.reason, g.c, g.c)
	}
}

// table holds the column positions of the summary.
type table struct {
	name, claims, verdict, expects, time int // start columns
	width                                int
	times                                bool
}

func (o Options) table(results []lab.Result) table {
	nameW, claimsW, verdictW, expW := Width(o.tr("scenario")), Width(o.tr("claims")), Width(o.tr("verdict")), Width(o.tr("expects"))
	for _, r := range results {
		nameW = max(nameW, Width(scenarioName(r)))
		claimsW = max(claimsW, Width(sanitize(strings.Join(r.Claims, " "))))
		v, _ := o.condense(r)
		verdictW = max(verdictW, Width(v))
		expW = max(expW, Width(o.expects(r)))
	}
	timeW := 0
	if !o.NormalizeTimes {
		timeW = max(Width(o.tr("time")), Width("999.9 ms"))
	}
	// The verdict column takes what is left: on a narrow terminal the
	// claims and names give way first, then the time column.
	room := func() int { return o.Width - (2 + nameW + 2 + claimsW + 2 + 2 + expW + 2 + timeW) }
	if room() < 24 {
		claimsW, nameW = min(claimsW, 11), min(nameW, 18)
	}
	if room() < 16 {
		timeW = 0
	}
	t := table{name: 2, width: o.Width, times: timeW > 0}
	t.claims = t.name + nameW + 2
	t.verdict = t.claims + claimsW + 2
	t.expects = t.verdict + min(verdictW, max(room(), 4)) + 2
	t.time = t.expects + expW + 2
	return t
}

// row lays out one table row, each cell cut to its column.
func (t table) row(mark, name, claims, verdict, expects, tm string, c color) *line {
	l := new(line)
	cell := func(col, next int, s string, c color) {
		l.put(col, truncate(s, next-col-2), c)
	}
	if mark != "" {
		l.put(0, mark, c)
		c = plain
	}
	cell(t.name, t.claims, name, c)
	cell(t.claims, t.verdict, claims, c)
	cell(t.verdict, t.expects, verdict, c)
	cell(t.expects, t.time, expects, c)
	if t.times {
		cell(t.time, t.width+2, tm, c)
	}
	return l
}

func (o Options) resultRow(t table, r lab.Result) *line {
	mark, _, c := o.outcome(r)
	if c == boldRd && r.Err == "" {
		c = red // a failed expectation; bold red is for a scenario that broke
	}
	tm := o.runTime(r.Duration)
	if r.Status == lab.StatusSkipped {
		tm = ""
	}
	l := t.row(mark, fitName(r, t.claims-t.name-2), sanitize(strings.Join(r.Claims, " ")), "", o.expects(r), tm, plain)
	l.put(0, mark, c)
	verdict, vc := o.condense(r)
	l.put(t.verdict, truncate(verdict, t.expects-t.verdict-2), vc)
	return l
}

func scenarioName(r lab.Result) string {
	if r.Variant != "" {
		return sanitize(r.Name + "/" + r.Variant)
	}
	return sanitize(r.Name)
}

// expects is "held/counted", plus "+n skipped" when some were not recorded.
func (o Options) expects(r lab.Result) string {
	held, counted, skipped := lab.TallyExpectations(r.Expects)
	if len(r.Expects) == 0 {
		return "-"
	}
	s := fmt.Sprintf("%d/%d", held, counted)
	if skipped > 0 {
		s += fmt.Sprintf(" +%d %s", skipped, o.tr("skipped"))
	}
	return s
}

func (o Options) runTime(d time.Duration) string {
	if o.NormalizeTimes || d <= 0 {
		return ""
	}
	return seconds(d)
}
