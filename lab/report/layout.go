package report

import (
	"sort"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// Vertical layout. Time flows down, but not linearly: a teardown is a few
// bursts of events microseconds apart separated by idle waits of hundreds of
// milliseconds (a sleep, a linger timeout). Each event gets a row; a short
// pause adds a little space growing with the log of its length, so the
// rhythm stays visible; a pause of breakMin or more is compressed into a
// break, drawn across the lifelines and labelled with its length.
const (
	breakMin  = 10 * time.Millisecond
	breakH    = 30.0
	rowH      = 24.0
	packetH   = 28.0
	headH     = 40.0 // actor boxes at the top
	axisW     = 78.0 // time axis on the left
	footH     = 16.0
	maxPause  = 22.0 // px for the longest pause below breakMin
	unitPause = 0.2  // ms: pauses shorter than this add no space
)

// kind of a placed row.
type rowKind int

const (
	rowPacket rowKind = iota + 1
	rowCall
	rowState
	rowNote
	rowSnap
	rowFold
	rowBreak
)

// placed is one row of the diagram.
type placed struct {
	kind  rowKind
	y     float64
	t     time.Duration
	ev    lab.Event
	row   lab.SockRow // rowSnap
	fold  *foldGroup  // rowFold
	pause time.Duration
}

// diagram is a scenario's layout: lanes across, rows down.
type diagram struct {
	o       Options
	r       lab.Result
	lanes   []string
	laneX   []float64
	laneOf  map[string]int
	spacing float64
	width   float64
	height  float64
	rows    []placed
	timed   []placed // rows other than pause marks, for yAt
	packets int      // packets in the input
	arrows  int      // drawn as arrows
	folded  int      // folded into groups
}

func newDiagram(r lab.Result, o Options) *diagram {
	d := &diagram{o: o, r: r, laneOf: map[string]int{}}
	events := append([]lab.Event(nil), r.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].T < events[j].T })
	d.setLanes(events)
	d.place(events)
	d.setWidths()
	return d
}

// setLanes gives each actor a lane, in the text renderer's order, and a
// lane of its own to any packet end the runner could not name (an
// address), so that every packet is an arrow.
// yAt is where the moment t is drawn: the row of the first event at or
// after it (the layout compresses time, so there is no linear scale), or
// the bottom of the diagram after the last.
func (d *diagram) yAt(t time.Duration) float64 {
	if d.timed == nil { // the rows that stand for a moment: not the pause marks
		for _, r := range d.rows {
			if r.kind != rowBreak {
				d.timed = append(d.timed, r)
			}
		}
	}
	i := sort.Search(len(d.timed), func(i int) bool { return d.timed[i].t >= t })
	if i == len(d.timed) {
		return d.height - footH - packetH/2
	}
	return d.timed[i].y
}

func (d *diagram) setLanes(events []lab.Event) {
	add := func(a string) {
		if _, ok := d.laneOf[a]; !ok {
			d.laneOf[a] = len(d.lanes)
			d.lanes = append(d.lanes, a)
		}
	}
	for _, a := range render.Actors(d.r) {
		add(a)
	}
	for _, e := range events {
		if e.Packet != nil {
			add(e.Packet.From)
			add(e.Packet.To)
		}
	}
	if len(d.lanes) == 0 {
		add("")
	}
}

func (d *diagram) place(events []lab.Event) {
	group, groups := fold(events, d.o.MaxArrows)
	y := headH + 10
	var prev time.Duration = -1
	var line []placed // the rows drawn at the last y
	add := func(p placed, h float64) {
		if d.shares(line, p) {
			p.y = line[0].y
			d.rows = append(d.rows, p)
			line = append(line, p)
			return
		}
		if prev >= 0 {
			y += d.pause(p.t-prev, &y)
		}
		prev = p.t
		p.y = y
		d.rows = append(d.rows, p)
		line = []placed{p}
		y += h
	}
	for i, e := range events {
		switch {
		case e.Packet != nil:
			d.packets++
			if g := group[i]; g != 0 {
				d.folded++
				if groups[g-1].first == i {
					add(placed{kind: rowFold, t: e.T, fold: groups[g-1]}, packetH)
				}
				continue
			}
			d.arrows++
			add(placed{kind: rowPacket, t: e.T, ev: e}, packetH)
		case e.Call != nil:
			add(placed{kind: rowCall, t: e.T, ev: e}, rowH)
		case e.State != nil:
			add(placed{kind: rowState, t: e.T, ev: e}, rowH)
		case e.Note != nil:
			add(placed{kind: rowNote, t: e.T, ev: e}, rowH)
		case e.Snapshot != nil:
			for _, sr := range e.Snapshot.Rows {
				add(placed{kind: rowSnap, t: e.T, ev: e, row: sr}, rowH)
			}
		}
	}
	d.height = y + footH
}

// shares reports whether p can be drawn on the same line as the rows of
// line: texts on different lanes at the very same moment (the socket
// table's rows of one snapshot, two sides reaching ESTABLISHED together),
// as the terminal diagram does. Neighbouring lanes share only when both
// texts fit in half the narrowest lane spacing each.
func (d *diagram) shares(line []placed, p placed) bool {
	if len(line) == 0 || !d.laneKind(p) || line[0].t != p.t {
		return false
	}
	for _, q := range line {
		if !d.laneKind(q) {
			return false
		}
		gap := d.lane(p) - d.lane(q)
		switch {
		case gap == 0:
			return false
		case gap == 1 || gap == -1:
			if textPx(d.laneText(p))+textPx(d.laneText(q))+40 > minSpacing {
				return false
			}
		}
	}
	return true
}

// laneKind: a row drawn on one lane (not an arrow, fold, break or a note
// on the whole scenario).
func (d *diagram) laneKind(p placed) bool {
	switch p.kind {
	case rowCall, rowState, rowSnap:
		return true
	case rowNote:
		return p.ev.Note.Actor != ""
	}
	return false
}

// pause returns the space a pause of dt adds before the next row; a long
// one becomes a break row of its own.
func (d *diagram) pause(dt time.Duration, y *float64) float64 {
	if dt >= breakMin {
		d.rows = append(d.rows, placed{kind: rowBreak, y: *y, pause: dt})
		return breakH
	}
	v := ms(dt) / unitPause
	if v <= 1 {
		return 0
	}
	return min(maxPause, 4*log2(v))
}

// setWidths spaces the lanes for their longest texts: an arrow's label
// fits between two lanes, a call box around its lane.
func (d *diagram) setWidths() {
	label, edgeL, edgeR := 0.0, 60.0, 60.0
	for _, p := range d.rows {
		switch p.kind {
		case rowPacket:
			l, info := render.PacketLabel(p.ev.Packet, nil)
			label = max(label, textPx(strings.TrimSpace(l+" "+info)))
		case rowCall, rowState, rowNote, rowSnap:
			half := min(textPx(d.laneText(p)), maxBox)/2 + 10
			switch d.lane(p) {
			case 0:
				edgeL = max(edgeL, half)
			case len(d.lanes) - 1:
				edgeR = max(edgeR, half)
			}
		}
	}
	d.spacing = min(max(label+56, minSpacing), 420)
	for i := range d.lanes {
		d.laneX = append(d.laneX, axisW+edgeL+float64(i)*d.spacing)
	}
	d.width = d.laneX[len(d.laneX)-1] + edgeR + 8
}

// minSpacing is the narrowest distance between two lanes.
const minSpacing = 250.0

// maxBox is the widest a lane's text box may be.
const maxBox = 360.0

// lane is the lane a row's text belongs to.
func (d *diagram) lane(p placed) int {
	var a string
	switch p.kind {
	case rowCall:
		a = p.ev.Call.Actor
	case rowState:
		a = p.ev.State.Actor
	case rowNote:
		a = p.ev.Note.Actor
	case rowSnap:
		a = p.row.Actor
	}
	if i, ok := d.laneOf[a]; ok {
		return i
	}
	return len(d.lanes) - 1
}

func log2(v float64) float64 {
	n := 0.0
	for v >= 2 {
		v /= 2
		n++
	}
	return n + (v - 1) // linear between powers of two: close enough for spacing
}
