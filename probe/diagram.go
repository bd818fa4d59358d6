package probe

import (
	"sort"
	"strconv"

	"github.com/tcpteardown/teardown/explain"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/record"
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

// packetEvents draws the check's captured segments in capture order from
// their records: relative numbers per direction from each side's SYN (as
// tcpdump prints them after the handshake), and the client's port in Info,
// since a check may open several connections and the diagram has one
// client lane. Times are from the check's start, like its calls'.
func (c *Check) packetEvents() []lab.Event {
	evs := make(map[*record.Conn][]lab.Event, len(c.conns))
	for _, rc := range c.conns {
		evs[rc] = c.connEvents(rc)
	}
	out := make([]lab.Event, 0, len(c.wire))
	for _, w := range c.wire {
		out = append(out, evs[w.conn][w.n])
	}
	return out
}

// connEvents turns one record into events on the probe's lanes: the server
// is the side at the target's address (owns() lets in only segments to or
// from it; the record's own client and server agree with it whenever the
// SYN was captured).
func (c *Check) connEvents(rc *record.Conn) []lab.Event {
	out := explain.Events(rc)[:len(rc.Timeline)] // no traced states: the packets, in order
	srv := sideOf(rc, c.log.server)
	port := strconv.Itoa(int(rc.Sides[record.Peer(srv)].Addr.Port()))
	off := rc.First.Sub(c.log.start)
	for i := range out {
		p := out[i].Packet
		from := rc.Timeline[i].From
		p.From, p.To = "client", "server"
		if from == srv {
			p.From, p.To = "server", "client"
		}
		p.Info = "port " + port
		out[i].T += off
	}
	return out
}
