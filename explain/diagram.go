package explain

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
	"github.com/tcpteardown/teardown/record"
)

var laneNames = [2]string{"client", "server"}

// diagram draws one connection with the lab's renderer, then its
// diagnosis.
func (o *output) diagram(c *record.Conn, s *Summary) error {
	if c == nil || !o.cfg.matches(c) {
		return fmt.Errorf("explain: %s has no connection #%d (it has %d%s): run without -conn to list them",
			o.cfg.Name, o.cfg.Conn, s.Conns, map[bool]string{true: " on that port"}[o.cfg.Port != 0])
	}
	d := Diagnose(c)
	o.printf("#%d  %s → %s\n", d.ID, d.Client, d.Server)
	o.printf("%s", renderBody(c, o.cfg))
	o.printf("\n")
	o.line(&d)
	return o.err
}

// renderBody draws the timeline without the renderer's scenario header
// (name and pass/fail facts, which a capture does not have): the header
// ends at the first empty line.
func renderBody(c *record.Conn, cfg *Config) string {
	var buf bytes.Buffer
	r := lab.Result{Name: "capture", Passed: true, Actors: laneNames[:], Events: Events(c)}
	_ = render.Diagram(&buf, r, &render.Options{Width: cfg.Width, Color: cfg.Color, Lang: cfg.Lang}) // a bytes.Buffer takes every write
	out := buf.String()
	if i := strings.Index(out, "\n\n"); i >= 0 {
		out = out[i+1:]
	}
	return out
}

// Events turns a kept connection into the lab's events, times relative to
// its first packet: what the lab's renderers draw.
func Events(c *record.Conn) []lab.Event {
	evs := make([]lab.Event, 0, len(c.Timeline)+len(c.States))
	for _, p := range c.Timeline {
		lp := &lab.Packet{From: laneNames[p.From], To: laneNames[record.Peer(p.From)], Proto: "tcp",
			Flags: p.Flags.String(), Seq: p.Seq, Ack: p.Ack, Len: p.Len, Win: p.Win, Info: info(p)}
		evs = append(evs, lab.Event{T: p.At.Sub(c.First), Kind: lab.KindPacket, Packet: lp})
	}
	for _, st := range c.States {
		ls := &lab.State{Actor: laneNames[st.Side], From: st.From, To: st.To, Inferred: st.Inferred}
		evs = append(evs, lab.Event{T: st.At.Sub(c.First), Kind: lab.KindState, State: ls})
	}
	return evs
}

func info(p record.Packet) string {
	s := ""
	if p.Len > 0 && p.Len <= len(p.Payload) {
		s = strconv.Quote(p.Payload)
	}
	if p.Retrans {
		s = strings.TrimSpace("retransmission " + s)
	}
	return s
}
