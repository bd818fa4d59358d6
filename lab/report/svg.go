package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// WriteSVG writes one scenario run's sequence diagram as a standalone SVG
// file (its own style sheet, light or dark with the viewer's setting), for
// slides and bug reports. The markup is the one WriteHTML embeds.
func WriteSVG(w io.Writer, r lab.Result, o *Options) error {
	opt := withDefaults(o)
	b := &strings.Builder{}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	newDiagram(r, opt).svg(b, true)
	_, err := io.WriteString(w, b.String())
	return err
}

// svg writes the diagram; standalone adds the style sheet and a background.
func (d *diagram) svg(b *strings.Builder, standalone bool) {
	// Inline, the diagram is a group of focusable arrows; a file of its
	// own is an image (it may be embedded with <img>).
	top, w, role := 0.0, d.width, "group"
	if standalone {
		role = "img"
		// The file has no page around it: a caption names it, and the
		// picture is wide enough for the caption.
		top = captionH
		w = max(w, captionPx(name(d.r)+titleSuffix(d.r))+24)
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="seq" width="%s" height="%s" viewBox="0 0 %s %s" role="%s" aria-label="%s" data-packets="%d" data-arrows="%d" data-folded="%d">`,
		f(w), f(d.height+top), f(w), f(d.height+top), role, esc("sequence diagram of "+name(d.r)), d.packets, d.arrows, d.folded)
	fmt.Fprintf(b, "<title>%s</title>\n", esc(name(d.r)+titleSuffix(d.r)))
	if standalone {
		b.WriteString("<style>" + svgCSS + langCSS(d.o.Lang) + "</style>\n")
		fmt.Fprintf(b, `<rect class="bg" width="%s" height="%s"/>`+"\n", f(w), f(d.height+top))
		fmt.Fprintf(b, `<text class="caption" x="12" y="22"><tspan class="name">%s</tspan>%s</text>`+"\n",
			esc(name(d.r)), esc(titleSuffix(d.r)))
		fmt.Fprintf(b, `<g transform="translate(0 %s)">`+"\n", f(top))
	}
	d.axis(b)
	d.lifelines(b)
	for _, p := range d.rows {
		d.row(b, p)
	}
	d.legend(b)
	if standalone {
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
}

// captionH is the height of a standalone diagram's caption.
const captionH = 30.0

// captionPx estimates the width of the caption's 15 px proportional font
// (generous: a cut caption is worse than a wider margin); a scenario's
// title is one line, a caption of more than maxCaption px is cut.
func captionPx(s string) float64 { return min(float64(render.Width(s))*8.2, maxCaption) }

const maxCaption = 1400.0

func name(r lab.Result) string {
	if r.Variant != "" {
		return r.Name + "/" + r.Variant
	}
	return r.Name
}

func titleSuffix(r lab.Result) string {
	if r.Title != "" {
		return " — " + r.Title
	}
	return ""
}

// axis is the time column: the time of each row in milliseconds since the
// scenario started, written when it changes.
func (d *diagram) axis(b *strings.Builder) {
	x := axisW - 14
	fmt.Fprintf(b, `<g class="axis"><text class="axis-head" x="%s" y="26">t (ms)</text><line x1="%s" y1="%s" x2="%s" y2="%s"/>`,
		f(x), f(axisW-8), f(headH), f(axisW-8), f(d.height-footH))
	last := ""
	for _, p := range d.rows {
		if p.kind == rowBreak {
			last = ""
			continue
		}
		s := fmt.Sprintf("%.3f", ms(p.t))
		if s != last {
			fmt.Fprintf(b, `<text class="tick" x="%s" y="%s">%s</text>`, f(x), f(p.y+15), s)
			last = s
		}
	}
	b.WriteString("</g>\n")
}

// lifelines are the actors' vertical lines under their name boxes.
func (d *diagram) lifelines(b *strings.Builder) {
	b.WriteString(`<g class="lanes">`)
	for i, a := range d.lanes {
		x := d.laneX[i]
		w := min(max(textPx(a)+20, 70), d.spacing-20)
		fmt.Fprintf(b, `<line class="life" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(x), f(headH), f(x), f(d.height-footH))
		fmt.Fprintf(b, `<rect class="actor" x="%s" y="8" width="%s" height="26" rx="5"/><text class="actor" x="%s" y="26">%s</text>`,
			f(x-w/2), f(w), f(x), esc(fit(a, w-10)))
	}
	b.WriteString("</g>\n")
}

func (d *diagram) row(b *strings.Builder, p placed) {
	switch p.kind {
	case rowPacket:
		d.packet(b, p)
	case rowFold:
		d.foldMark(b, p)
	case rowBreak:
		d.breakMark(b, p)
	default:
		d.laneBox(b, p)
	}
}

// packet draws a segment as an arrow from the sender's lane to the
// receiver's. Its ends are at the send and receive times: on loopback they
// coincide and the arrow is level; on the lab's wire the packet event
// carries when it left the wire (Arrived), and the arrow slants down to the
// row of that moment — a link's round trip, a held or delayed segment.
func (d *diagram) packet(b *strings.Builder, p placed) {
	pk := p.ev.Packet
	mark := d.o.mark(pk)
	x1, x2 := d.laneX[d.laneOf[pk.From]], d.laneX[d.laneOf[pk.To]]
	y1 := p.y + 18
	y2 := y1
	switch {
	case pk.Arrived > p.t && mark != MarkDropped:
		y2 = max(y1, d.yAt(pk.Arrived)+18)
	case mark == MarkDelayed:
		y2 += 12 // a held segment arrives visibly later
	}
	label, info := render.PacketLabel(pk, nil)
	fmt.Fprintf(b, `<g class="%s" tabindex="0"><title>%s</title>`, packetClass(pk, mark), esc(fullLine(p.ev)))
	if x1 == x2 {
		d.selfArrow(b, x1, y1, label)
		b.WriteString("</g>\n")
		return
	}
	d.arrowLine(b, x1, y1, x2, y2, mark)
	d.arrowLabel(b, x1, x2, y1, label, info, mark)
	b.WriteString("</g>\n")
}

// packetClass is "packet" plus what kind of segment it is (syn, fin, rst,
// data, ack, udp, icmp) and the wire's mark, for the style sheet.
func packetClass(p *lab.Packet, mark string) string {
	c := "packet " + segKind(p)
	if mark != "" {
		c += " " + mark
	}
	return c
}

func segKind(p *lab.Packet) string {
	proto := strings.ToLower(p.Proto)
	switch {
	case strings.HasPrefix(proto, "icmp"):
		return "icmp"
	case proto == "udp":
		return "udp"
	case strings.Contains(p.Flags, "R"):
		return "rst"
	case strings.Contains(p.Flags, "S"):
		return "syn"
	case strings.Contains(p.Flags, "F"):
		return "fin"
	case p.Len > 0:
		return "data"
	}
	return "ack"
}

// arrowLine draws the shaft and the head; a dropped segment stops short
// of the receiver with a ✕, an injected one starts from a + (the wire made
// it, not the sender's socket).
func (d *diagram) arrowLine(b *strings.Builder, x1, y1, x2, y2 float64, mark string) {
	if mark == MarkInjected {
		fmt.Fprintf(b, `<text class="wm" x="%s" y="%s">+</text>`, f(x1+sign(x2-x1)*8), f(y1+4))
		x1 += sign(x2-x1) * 16
	}
	fmt.Fprintf(b, `<line class="hit" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(x1), f(y1), f(x2), f(y2))
	if mark == MarkDropped {
		xm, ym := x1+(x2-x1)*0.6, y1+(y2-y1)*0.6
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/><text class="wm" x="%s" y="%s">✕</text>`,
			f(x1), f(y1), f(xm), f(ym), f(xm), f(ym+5))
		return
	}
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(x1), f(y1), f(x2-sign(x2-x1)*2), f(y2))
	b.WriteString(head(x1, y1, x2, y2))
}

// head is an arrowhead at (x2, y2) pointing along the shaft.
func head(x1, y1, x2, y2 float64) string {
	a := math.Atan2(y2-y1, x2-x1)
	const l, w = 10.0, 4.5
	bx, by := x2-l*math.Cos(a), y2-l*math.Sin(a)
	px, py := -math.Sin(a)*w, math.Cos(a)*w
	return fmt.Sprintf(`<path class="head" d="M%s %sL%s %sL%s %sZ"/>`,
		f(x2), f(y2), f(bx+px), f(by+py), f(bx-px), f(by-py))
}

// arrowLabel writes the tcpdump label above the shaft near the sender, as
// the text diagram does; the payload follows when there is room.
func (d *diagram) arrowLabel(b *strings.Builder, x1, x2, y float64, label, info, mark string) {
	room := math.Abs(x2-x1) - 24
	if info != "" && textPx(label+" "+info) <= room {
		label += " " + info
	}
	switch mark {
	case MarkDelayed:
		label = "⧗ " + label
	case MarkDuplicated:
		label = "⧉ " + label
	}
	anchor, x := "start", x1+12
	if x2 < x1 {
		anchor, x = "end", x1-12
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="%s">%s</text>`, f(x), f(y-6), anchor, esc(fit(label, room)))
}

// selfArrow is a segment between two ends sharing a lane: a small loop.
func (d *diagram) selfArrow(b *strings.Builder, x, y float64, label string) {
	fmt.Fprintf(b, `<path class="loop" d="M%s %sh24v10h-22"/>`, f(x), f(y-8))
	b.WriteString(head(x+24, y+2, x+2, y+2))
	fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`, f(x+30), f(y), esc(fit(label, d.spacing-40)))
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// fullLine is what hovering or focusing an arrow shows: the segment as
// tcpdump -v would print it, with its time.
func fullLine(e lab.Event) string {
	p := e.Packet
	s := fmt.Sprintf("%.3f ms  %s > %s: ", ms(e.T), p.From, p.To)
	switch segKind(p) {
	case "udp":
		s += fmt.Sprintf("UDP, length %d", p.Len)
	case "icmp":
		s += "ICMP"
	default:
		s += fmt.Sprintf("Flags [%s], seq %d", p.Flags, p.Seq)
		if p.Len > 0 {
			s += fmt.Sprintf(":%d", p.Seq+uint32(p.Len))
		}
		if strings.Contains(p.Flags, ".") {
			s += fmt.Sprintf(", ack %d", p.Ack)
		}
		s += fmt.Sprintf(", win %d, length %d", p.Win, p.Len)
	}
	if p.Info != "" {
		s += " " + p.Info
	}
	return s
}
