package render

import "strings"

// Arrow shapes. The label sits near the sender, as in a ladder diagram
// read left to right: "───── [F.] seq 4 ack 1 ──────▶".
const (
	shaft      = "─"
	headRight  = "▶"
	headLeft   = "◀"
	senderDash = 5 // dashes between the sender's lane and the label
)

// arrow draws it on l, from the start of the sender's lane to just before
// the receiver's lane, whichever way it points.
func (d *drawer) arrow(l *line, it item) {
	lo, hi := min(it.from, it.to), max(it.from, it.to)
	start := d.l.cols[lo]
	n := d.l.cols[hi] - 1 - start // columns the arrow may use
	label := it.text
	if it.extra != "" && fits(label+" "+it.extra, n) {
		label += " " + it.extra
	}
	l.put(start, arrowText(label, n, it.from < it.to), it.c)
}

// fits reports whether label fits an n-column arrow with a full-length
// dash run on the sender's side.
func fits(label string, n int) bool {
	return Width(label) <= n-1-2-1-senderDash
}

// arrowText lays out an arrow of exactly n columns (n ≥ 1) with label.
func arrowText(label string, n int, right bool) string {
	room := n - 1 - 2 - 1 // head, two spaces around the label, one dash
	k := senderDash
	if Width(label) > room-k {
		k = min(2, max(room-Width(label), 0))
	}
	label = truncate(label, max(room-k, 0))
	if label == "" {
		return bare(n, right)
	}
	m := n - 1 - 2 - k - Width(label)
	near, far := strings.Repeat(shaft, k), strings.Repeat(shaft, max(m, 0))
	if right {
		return near + " " + label + " " + far + headRight
	}
	return headLeft + far + " " + label + " " + near
}

func bare(n int, right bool) string {
	if n < 1 {
		return ""
	}
	if right {
		return strings.Repeat(shaft, n-1) + headRight
	}
	return headLeft + strings.Repeat(shaft, n-1)
}
