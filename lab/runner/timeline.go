package runner

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

// Recording is what a run collected, before it becomes a timeline: the
// calls and notes the actors made (already relative to Start), the raw
// segments and transitions of the recorders (absolute CLOCK_REALTIME) and
// which actor owns which address pair.
type Recording struct {
	Start       time.Time
	Calls       []lab.Event
	Segments    []capture.Segment
	Wire        []wire.Event  // a wire scenario's packets: the wire is the capture point
	OneWay      time.Duration // the wire's one-way delay (half its rtt): when a forwarded packet arrives
	Transitions []trace.Transition
	Sockets     []SockRef
}

// Timeline merges a recording into one list of events sorted by time, with
// packet addresses replaced by actor names and sequence numbers made
// relative to each direction's first sequence number, as tcpdump prints
// them.
func Timeline(rec *Recording) []lab.Event {
	evs := append([]lab.Event(nil), rec.Calls...)
	evs = append(evs, packetEvents(rec)...)
	evs = append(evs, wirePackets(rec)...)
	evs = append(evs, stateEvents(rec)...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].T < evs[j].T })
	return evs
}

// packetEvents numbers the TCP segments with a record.Builder (one
// connection per four-tuple and SYN, relative numbers as tcpdump prints
// them); UDP datagrams and ICMP errors are drawn as captured.
func packetEvents(rec *Recording) []lab.Event {
	segs := slices.Clone(rec.Segments)
	// Relative numbers need each direction's first segment first.
	slices.SortStableFunc(segs, func(a, b capture.Segment) int { return a.Time.Compare(b.Time) })
	b := newTCPRecord()
	var out []lab.Event
	for i := range segs {
		s := &segs[i]
		p := &lab.Packet{Proto: s.Proto.String(), Len: s.Len, Win: s.Win}
		p.From, p.To = endpointNames(rec.Sockets, *s, s.Time.Sub(rec.Start))
		p.Info = packetInfo(*s)
		if s.Proto == capture.TCP {
			tcpPacket(b, s, p)
		}
		out = append(out, lab.Event{T: s.Time.Sub(rec.Start), Kind: lab.KindPacket, Packet: p})
	}
	return out
}

// endpointNames names both ends; an ICMP error is drawn from the port it
// complains about to the socket that sent the datagram.
func endpointNames(socks []SockRef, s capture.Segment, at time.Duration) (string, string) {
	src, dst := s.Src, s.Dst
	if s.Proto == capture.ICMP {
		src, dst = s.Quoted.Dst, s.Quoted.Src
	}
	return nameOr(lookupActorAt(socks, src, dst, at), src), nameOr(lookupActorAt(socks, dst, src, at), dst)
}

func nameOr(name string, ap netip.AddrPort) string {
	if name != "" {
		return name
	}
	return ap.String()
}

func packetInfo(s capture.Segment) string {
	switch {
	case s.Proto == capture.ICMP:
		return "ICMP port unreachable"
	case len(s.Payload) > 0 && s.Len <= len(s.Payload):
		return strconv.Quote(string(s.Payload))
	}
	return ""
}

// stateEvents turns transitions into state events of actors. The kernel's
// text trace carries no socket pointer on state changes, so a socket is
// known by its (local, remote) pair; the first SYN-SENT has no local port
// yet, so its owner is the actor whose connect() it belongs to. Resets are
// attached to the state change they cause.
func stateEvents(rec *Recording) []lab.Event {
	rs := resetState{pending: map[connKey]string{}, lastClose: map[connKey]closeRef{}}
	var out []lab.Event
	for _, t := range rec.Transitions {
		name := ""
		if t.Local.Port() == 0 {
			name = connectingActor(rec, t)
		}
		if name == "" {
			name = nameOr(lookupActorAt(rec.Sockets, t.Local, t.Remote, t.Time.Sub(rec.Start)), t.Local)
		}
		if e, ok := rs.event(t, name, out); ok {
			e.T = t.Time.Sub(rec.Start)
			out = append(out, e)
		}
	}
	return out
}

type connKey struct{ local, remote netip.AddrPort }

// resetState pairs reset events with state changes of the same connection.
// A received RST is traced just before the CLOSE it causes; a sent RST is
// traced just after its socket's CLOSE (tcp_send_active_reset runs after
// tcp_set_state in the abort path), so it annotates that earlier event.
type resetState struct {
	pending   map[connKey]string // reset seen, state change not yet
	lastClose map[connKey]closeRef
}

// closeRef is the connection's latest → CLOSE event: its index in the
// output and its trace time.
type closeRef struct {
	idx int
	at  time.Time
}

// sentResetWindow bounds how far apart a CLOSE and the RST its socket sends
// may be traced and still be paired.
const sentResetWindow = 5 * time.Millisecond

func (rs *resetState) event(t trace.Transition, name string, out []lab.Event) (lab.Event, bool) {
	key := connKey{t.Local, t.Remote}
	switch t.Kind {
	case trace.ResetReceived:
		rs.pending[key] = "received"
	case trace.ResetSent:
		if t.Skaddr == 0 {
			return lab.Event{Kind: lab.KindNote, Note: &lab.Note{Actor: name, Text: "kernel sent RST (no socket)"}}, true
		}
		if t.From == tcpstate.Listen {
			// The segment matched no connection, only the listener of
			// its port, which answers anything but a SYN with RST: a
			// late segment of a connection already gone.
			return lab.Event{Kind: lab.KindNote, Note: &lab.Note{Actor: name, Text: "listener sent RST (segment of no connection)"}}, true
		}
		if c, ok := rs.lastClose[key]; ok && out[c.idx].State.Reset == "" && t.Time.Sub(c.at) < sentResetWindow {
			out[c.idx].State.Reset = "sent"
			return lab.Event{}, false
		}
		rs.pending[key] = "sent"
	case trace.StateChange:
		st := &lab.State{Actor: name, From: t.From, To: t.To, Inferred: t.Inferred, Reset: rs.pending[key]}
		delete(rs.pending, key)
		if t.To == tcpstate.Close {
			rs.lastClose[key] = closeRef{len(out), t.Time}
		}
		return lab.Event{Kind: lab.KindState, State: st}, true
	}
	return lab.Event{}, false
}

// connectingActor attributes a SYN-SENT transition whose socket never got
// a later event (its local port is still 0) to the actor whose connect()
// to the same address returned first after it: the transition happens
// inside that call.
func connectingActor(rec *Recording, t trace.Transition) string {
	at := t.Time.Sub(rec.Start)
	best, name := time.Duration(-1), ""
	for _, e := range rec.Calls {
		c := e.Call
		if c == nil || c.Op != "connect" || !strings.HasPrefix(c.Args, t.Remote.String()) || e.T < at {
			continue
		}
		if best < 0 || e.T-at < best {
			best, name = e.T-at, c.Actor
		}
	}
	return name
}

// SockRef ties an address pair to the actor that owns the socket, so that
// packets and transitions can be drawn in that actor's lane. Remote is
// invalid for listeners and unconnected UDP sockets.
type SockRef struct {
	Local, Remote netip.AddrPort
	Actor         string
	T             time.Duration // when it was registered (0: before the start)
}

// lookupActor finds the owner of the socket local→remote: an exact pair
// first (an accepted socket), else a socket bound to local alone (the
// listener a SYN arrives at).
func lookupActor(socks []SockRef, local, remote netip.AddrPort) string {
	return lookupActorAt(socks, local, remote, -1)
}

// lookupActorAt is lookupActor for an event at time at (since the start;
// < 0: any time). When several actors bound the same local address one
// after the other (a restarted listener), the last one registered by then
// owns it; sockets are registered just after the call that made them, so
// a few milliseconds of slack are allowed.
func lookupActorAt(socks []SockRef, local, remote netip.AddrPort, at time.Duration) string {
	for _, s := range socks {
		if s.Local == local && s.Remote == remote && remote.IsValid() {
			return s.Actor
		}
	}
	name, best := "", time.Duration(-1)
	for _, s := range socks {
		if s.Local != local {
			continue
		}
		if name == "" || at >= 0 && s.T <= at+5*time.Millisecond && s.T > best {
			name, best = s.Actor, s.T
		}
	}
	return name
}
