package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
)

// item is one thing drawn on a row of the diagram.
type item struct {
	kind     itemKind
	lane     int    // laneText
	from, to int    // arrow
	text     string // lane text, arrow label, or full-width note
	extra    string // arrow: appended to the label when the arrow has room
	mark     string // arrow: what the lab's wire did to the segment (lab.Packet.Wire)
	c        color
}

type itemKind int

const (
	laneText itemKind = iota + 1
	arrow
	fullText
)

// drawer turns events into items for one layout and set of options.
type drawer struct {
	o Options
	l *layout
}

func (d *drawer) items(e lab.Event) []item {
	switch {
	case e.Packet != nil:
		return []item{d.packet(e.Packet)}
	case e.Call != nil:
		return []item{d.inLane(e.Call.Actor, d.call(e.Call), callColor(e.Call.Result))}
	case e.State != nil:
		return []item{d.inLane(e.State.Actor, d.state(e.State), stateColor(e.State))}
	case e.Snapshot != nil:
		return d.snapshot(e.Snapshot)
	case e.Note != nil && e.Note.Actor == "":
		return []item{{kind: fullText, text: "» " + d.o.cleanMeasured(e.Note.Text), c: purple}}
	case e.Note != nil:
		return []item{d.inLane(e.Note.Actor, "» "+d.o.cleanMeasured(e.Note.Text), purple)}
	}
	return nil
}

func (d *drawer) inLane(actor, text string, c color) item {
	return item{kind: laneText, lane: d.l.laneOf(actor), text: d.l.tag(actor, text), c: c}
}

// packet draws an arrow between the two actors' lanes. A packet whose ends
// are not both actors (an address the runner could not name), or whose
// actors share a lane, is written as text instead.
func (d *drawer) packet(p *lab.Packet) item {
	label := d.packetLabel(p)
	from, to := d.l.laneOf(p.From), d.l.laneOf(p.To)
	if d.l.known(p.From) && d.l.known(p.To) && from != to {
		if d.l.fold >= 0 && (from == d.l.fold || to == d.l.fold) {
			label = sanitize(p.From) + ">" + sanitize(p.To) + " " + label
		}
		return item{kind: arrow, from: from, to: to, text: label, extra: d.info(p), mark: p.Wire, c: packetColor(p)}
	}
	if m := markWord(p.Wire); m != "" {
		label = m + " " + label
	}
	if !d.l.known(p.From) {
		from = to
	}
	text := d.text(p.From) + " > " + d.text(p.To) + " " + label
	if info := d.info(p); info != "" {
		text += " " + info
	}
	return item{kind: laneText, lane: from, text: text, c: packetColor(p)}
}

// packetLabel prints a segment the way tcpdump does, shortened: flags in
// brackets, seq only when the segment occupies sequence space (data, SYN,
// FIN) or is an RST, ack only when the ACK flag is set, length only when
// there is payload. Info (the payload as text) is kept apart: it is
// appended only when the arrow has room.
func (d *drawer) packetLabel(p *lab.Packet) string {
	switch {
	case strings.EqualFold(p.Proto, "udp"):
		return fmt.Sprintf("UDP len %d", p.Len)
	case isICMP(p):
		return strings.TrimSpace("ICMP " + d.text(p.Info))
	}
	parts := []string{"[" + sanitize(p.Flags) + "]"}
	if p.Len > 0 {
		parts = append(parts, fmt.Sprintf("seq %d:%d", p.Seq, p.Seq+uint32(p.Len)))
	} else if strings.ContainsAny(p.Flags, "SFR") {
		parts = append(parts, fmt.Sprintf("seq %d", p.Seq))
	}
	if strings.Contains(p.Flags, ".") {
		parts = append(parts, fmt.Sprintf("ack %d", p.Ack))
	}
	if p.Len > 0 {
		parts = append(parts, fmt.Sprintf("len %d", p.Len))
	}
	return strings.Join(parts, " ")
}

// info is the packet's payload text, unless the label already holds it.
func (d *drawer) info(p *lab.Packet) string {
	if isICMP(p) {
		return ""
	}
	return d.text(p.Info)
}

func isICMP(p *lab.Packet) bool { return strings.HasPrefix(strings.ToLower(p.Proto), "icmp") }

// call prints `op(args) = result data [duration]`.
func (d *drawer) call(c *lab.Call) string {
	s := sanitize(c.Op) + "(" + d.text(c.Args) + ")"
	if c.Result != "" {
		s += " = " + sanitize(c.Result)
	}
	if c.Data != "" && c.Data != `""` { // an empty read says EOF already
		s += " " + d.text(c.Data)
	}
	if dur := d.duration(c.Dur); dur != "" {
		s += " [" + dur + "]"
	}
	return s
}

// blockedMin is the shortest call duration worth showing: a call that took
// longer blocked on the peer or on a timer (linger, a sleeping reader).
const blockedMin = 50 * time.Millisecond

// duration formats a long call's duration. Normalised output rounds to a
// tenth of a second: the scenarios' delays are multiples of 100 ms, so a
// measured duration sits in the middle of its bucket and run-to-run jitter
// does not change the figure.
func (d *drawer) duration(t time.Duration) string {
	switch {
	case t < blockedMin, d.o.NormalizeTimes && d.o.HideDurations:
		return ""
	case d.o.NormalizeTimes:
		return roundDuration(t)
	case t < time.Second:
		return fmt.Sprintf("%.1f ms", float64(t)/1e6)
	}
	return fmt.Sprintf("%.3f s", t.Seconds())
}

// state prints the new state; "~" marks an inferred one (TIME-WAIT has no
// tracepoint of its own) and a reset is named.
func (d *drawer) state(s *lab.State) string {
	text := s.To.String()
	if s.Inferred {
		text = "~" + text
	}
	if s.Reset != "" {
		text += " (" + d.o.tr("reset "+sanitize(s.Reset)) + ")"
	}
	return text
}

// snapshot draws each socket-table row in its actor's lane, compactly:
// "ss: TIME-WAIT q 0/0 timewait 59.9s orphan" (q = Recv-Q/Send-Q).
func (d *drawer) snapshot(s *lab.Snapshot) []item {
	var out []item
	for _, r := range s.Rows {
		text := fmt.Sprintf("ss: %s q %d/%d", r.State, r.RecvQ, r.SendQ)
		if r.Timer != "" {
			text += " " + sanitize(r.Timer)
			if r.Expiry > 0 && !d.o.NormalizeTimes {
				text += fmt.Sprintf(" %.1fs", r.Expiry/1e3)
			}
		}
		if r.Orphan {
			text += " orphan"
		}
		out = append(out, d.inLane(r.Actor, text, dim))
	}
	return out
}

// text sanitises free text from the scenario and hides ports when
// normalising.
func (d *drawer) text(s string) string { return d.o.clean(s) }

func packetColor(p *lab.Packet) color {
	switch {
	case strings.Contains(p.Flags, "R"), isICMP(p):
		return red
	case strings.Contains(p.Flags, "F"):
		return yellow
	case strings.Contains(p.Flags, "S"):
		return cyan
	}
	return plain
}

func callColor(result string) color {
	switch {
	case result == "EOF":
		return green
	case result == "timeout":
		return yellow
	case strings.HasPrefix(result, "E"), strings.HasPrefix(result, "killed"):
		return red // an errno name or a signal
	}
	return plain
}

func stateColor(s *lab.State) color {
	if s.Reset != "" {
		return red
	}
	return blue
}
