package render

import (
	"io"
	"sort"
	"strings"
)

// color is an ANSI SGR parameter; "" is no colour.
type color string

const (
	plain  color = ""
	bold   color = "1"
	dim    color = "2"
	red    color = "31"
	green  color = "32"
	yellow color = "33"
	blue   color = "34"
	purple color = "35"
	cyan   color = "36"
	boldRd color = "1;31"
)

// segment is a piece of text placed at a column of a line.
type segment struct {
	col  int
	text string
	c    color
}

// line is one output line built from positioned segments. Layout works on
// plain text and display widths; colour is added only when the line is
// written, so escape codes never count towards the width.
type line struct {
	segs []segment
}

// put places text at col in colour c.
func (l *line) put(col int, text string, c color) *line {
	l.segs = append(l.segs, segment{col: col, text: text, c: c})
	return l
}

// render writes the line: segments in column order, later ones clipped so
// they never overlap, the whole clipped to width.
func (l *line) render(width int, colors bool) string {
	segs := append([]segment(nil), l.segs...)
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].col < segs[j].col })
	var b strings.Builder
	at := 0
	for _, s := range segs {
		if s.col < at {
			s.text = cutLeft(s.text, at-s.col)
			s.col = at
		}
		text := cut(s.text, width-s.col)
		if text == "" {
			continue
		}
		b.WriteString(strings.Repeat(" ", s.col-at))
		b.WriteString(paint(text, s.c, colors))
		at = s.col + Width(text)
	}
	return strings.TrimRight(b.String(), " ")
}

// cutLeft drops the first n columns of s.
func cutLeft(s string, n int) string {
	head := cut(s, n)
	rest := s[len(head):]
	if Width(head) < n && rest != "" { // a wide rune straddles the cut
		_, size := firstRune(rest)
		rest = " " + rest[size:]
	}
	return rest
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// paint wraps text in an SGR sequence when colours are on.
func paint(text string, c color, colors bool) string {
	if !colors || c == plain || text == "" {
		return text
	}
	return "\x1b[" + string(c) + "m" + text + "\x1b[0m"
}

// printer writes lines and remembers the first write error, so the layout
// code stays free of error plumbing.
type printer struct {
	w      io.Writer
	width  int
	colors bool
	err    error
}

func (p *printer) line(l *line) {
	p.text(l.render(p.width, p.colors))
}

func (p *printer) text(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s+"\n")
	}
}

// at prints text at col in colour c, alone on its line.
func (p *printer) at(col int, text string, c color) {
	p.line(new(line).put(col, text, c))
}

// wrapped prints text wrapped at p.width, the first line at col with
// prefix, the next ones indented to line up after the prefix.
func (p *printer) wrapped(col int, prefix, text string, pc, tc color) {
	indent := col + Width(prefix)
	for i, s := range wrap(text, max(p.width-indent, 8)) {
		l := new(line)
		if i == 0 && prefix != "" {
			l.put(col, prefix, pc)
		}
		p.line(l.put(indent, s, tc))
	}
}
