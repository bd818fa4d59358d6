package runner

import (
	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
	"github.com/tcpteardown/teardown/record"
)

// wirePackets turns the wire's events into packet events: one per packet
// a host put on the wire (whatever the wire did with it) and one per
// segment the wire crafted, each with its mark. A delayed or held packet's
// later Delivered event is not a new packet: it gives the first one its
// arrival time. Packets that are neither TCP nor UDP nor an ICMP error
// (the IPv6 hosts' own multicast listener reports) are left out: they
// belong to no actor.
func wirePackets(rec *Recording) []lab.Event {
	b := newTCPRecord()
	pending := map[*byte]*lab.Packet{} // a delayed packet, by its frame, until it is delivered
	var out []lab.Event
	for _, we := range rec.Wire {
		s := we.Seg
		if s.Proto == capture.ProtoInvalid || len(s.Raw) == 0 {
			continue
		}
		if we.Action == wire.Delivered {
			if p := pending[&s.Raw[0]]; p != nil {
				p.Arrived = we.Time.Sub(rec.Start)
				delete(pending, &s.Raw[0])
			}
			continue
		}
		s.Time = we.Time
		p := wirePacket(rec, b, s, we.Action)
		switch {
		case p.Wire == lab.WireDelayed:
			pending[&s.Raw[0]] = p
		case rec.OneWay > 0 && p.Wire != lab.WireDropped && p.Wire != lab.WireInjected:
			// Forwarded after the link's delay (the rate's queueing aside):
			// arrivals on such a link compare with a delayed packet's.
			p.Arrived = we.Time.Sub(rec.Start) + rec.OneWay
		}
		out = append(out, lab.Event{T: we.Time.Sub(rec.Start), Kind: lab.KindPacket, Packet: p})
	}
	return out
}

func wirePacket(rec *Recording, b *record.Builder, s capture.Segment, act wire.Action) *lab.Packet {
	p := &lab.Packet{Proto: s.Proto.String(), Len: s.Len, Win: s.Win, Wire: wireMark(act)}
	p.From, p.To = endpointNames(rec.Sockets, s, s.Time.Sub(rec.Start))
	if s.Proto == capture.TCP {
		tcpPacket(b, &s, p)
	}
	p.Info = packetInfo(s)
	return p
}

// wireMark is the packet's mark for an action of the wire: a held packet
// is drawn like a delayed one (it arrives later than it was sent).
func wireMark(a wire.Action) string {
	switch a {
	case wire.Dropped:
		return lab.WireDropped
	case wire.Delayed, wire.Held:
		return lab.WireDelayed
	case wire.Duplicated:
		return lab.WireDuplicated
	case wire.Injected:
		return lab.WireInjected
	}
	return ""
}
