package render

import (
	"strings"

	"github.com/tcpteardown/teardown/lab"
)

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
	if m := markLabel(it.mark); m != "" {
		label = m + " " + label
	}
	if it.extra != "" && fits(label+" "+it.extra, n) {
		label += " " + it.extra
	}
	l.put(start, wireMark(arrowText(label, n, it.from < it.to), it.mark, it.from < it.to), it.c)
}

// The lab's wire marks the arrows of segments it did not simply pass on:
// a dropped segment ends in ✕ where its head would be (it never reached
// the receiver), an injected one starts from + (no socket sent it), a
// delayed (or held) one carries ⧗ and a duplicated one ⧉ before its label.
const (
	markDropped    = "✕"
	markInjected   = "+"
	markDelayed    = "⧗"
	markDuplicated = "⧉"
)

func markLabel(mark string) string {
	switch mark {
	case lab.WireDelayed:
		return markDelayed
	case lab.WireDuplicated:
		return markDuplicated
	}
	return ""
}

// markWord is the mark a packet written as text (not an arrow) carries.
func markWord(mark string) string {
	switch mark {
	case lab.WireDropped:
		return markDropped
	case lab.WireInjected:
		return markInjected
	}
	return markLabel(mark)
}

// wireMark puts a dropped segment's ✕ in place of the head and an
// injected one's + at its start: the arrow keeps its width.
func wireMark(a, mark string, right bool) string {
	r := []rune(a)
	if len(r) < 2 {
		return a
	}
	head, tail := 0, len(r)-1 // head at the receiver's end, tail at the sender's
	if right {
		head, tail = tail, head
	}
	switch mark {
	case lab.WireDropped:
		r[head] = []rune(markDropped)[0]
	case lab.WireInjected:
		r[tail] = []rune(markInjected)[0]
	}
	return string(r)
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
