package probe

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
)

// Timeline turns a check into the lab's plain-data result, so that the
// lab's renderer draws its sequence diagram: the client's calls and, when
// they were captured, the packets of the check's connections, on two lanes.
func (c *Check) Timeline() lab.Result {
	r := lab.Result{
		Name:   c.Name,
		Title:  string(c.Verdict) + ": " + c.Evidence,
		Actors: []string{"client", "server"},
		Passed: c.Verdict != Fail,
	}
	if c.log == nil {
		return r
	}
	for _, cl := range c.log.calls {
		r.Events = append(r.Events, lab.Event{T: cl.t, Kind: lab.KindCall, Call: &lab.Call{
			Actor: "client", Op: cl.op, Result: cl.result, Bytes: cl.bytes}})
	}
	r.Events = append(r.Events, c.packetEvents()...)
	sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].T < r.Events[j].T })
	return r
}

// packetEvents numbers each direction's sequence space from its SYN, as
// tcpdump does after the handshake.
func (c *Check) packetEvents() []lab.Event {
	isn := map[string]uint32{}
	var out []lab.Event
	for _, s := range c.segs {
		from, to := "client", "server"
		if s.Src == c.log.server {
			from, to = "server", "client"
		}
		fwd, back := s.Src.String()+">"+s.Dst.String(), s.Dst.String()+">"+s.Src.String()
		if s.Flags.Has(capture.SYN) {
			isn[fwd] = s.Seq
		}
		p := &lab.Packet{From: from, To: to, Proto: "tcp", Flags: s.Flags.String(),
			Seq: s.Seq - isn[fwd], Ack: s.Ack - isn[back], Len: s.Len, Win: s.Win, Info: portInfo(s, from)}
		if !s.Flags.Has(capture.ACK) {
			p.Ack = 0
		}
		out = append(out, lab.Event{T: s.Time.Sub(c.log.start), Kind: lab.KindPacket, Packet: p})
	}
	return out
}

// portInfo names the client's port, since a check may open several
// connections and the diagram has one client lane.
func portInfo(s capture.Segment, from string) string {
	p := s.Src.Port()
	if from == "server" {
		p = s.Dst.Port()
	}
	return fmt.Sprintf("port %s", strconv.Itoa(int(p)))
}
