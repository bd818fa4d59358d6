package trace

import (
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// flow names one end of a connection: the socket at Local talking to Remote.
type flow struct{ local, remote netip.AddrPort }

func flowOf(t Transition) flow { return flow{t.Local, t.Remote} }
func (f flow) peer() flow      { return flow{f.remote, f.local} }
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// timeWaitLen is TCP_TIMEWAIT_LEN, fixed at 60 s in Linux (claim C24), and
// the default tcp_fin_timeout.
const timeWaitLen = 60 * time.Second

// finSlack widens the life of a FIN-WAIT-2 mini-socket: the kernel uses at
// least 3.5 RTO (0.7 s on loopback) and its timers are not exact.
const finSlack = time.Second

// Inferrer completes the kernel's story of each socket. It adds the entry
// into TIME-WAIT, which no tracepoint reports, and fills in the local port of
// the CLOSE → SYN-SENT transition, which the kernel reports before it picks
// the port. Feed it every transition in kernel order; it is not safe for
// concurrent use. The zero value is not ready: use NewInferrer.
//
// The rule (see the package documentation for the measurements):
//
//   - CLOSING → CLOSE with no reset on the flow: TIME-WAIT at once (both
//     FINs were exchanged and ours was just acknowledged).
//   - FIN-WAIT-2 → CLOSE with no reset: TIME-WAIT at once if the peer's FIN
//     is known to have been sent — the peer was seen entering LAST-ACK or
//     FIN-WAIT-1, or FINReceived was called. Otherwise the socket was
//     orphaned (close() rather than shutdown()) and the kernel replaced it
//     by a timewait mini-socket still in FIN-WAIT-2. It turns to TIME-WAIT
//     when the peer's FIN reaches it, which shows as the peer's LAST-ACK →
//     CLOSE (its FIN got acknowledged) or a FINReceived call — unless a
//     reset on the flow comes first, or the evidence comes after the
//     mini-socket's life (FinTimeout).
type Inferrer struct {
	// FinTimeout is net.ipv4.tcp_fin_timeout of the traced sockets'
	// namespace (0 means the default, 60 s). It bounds how long an orphaned
	// FIN-WAIT-2 mini-socket waits for the peer's FIN: a FIN that comes
	// later finds no socket and is answered with a reset (claim C15), so it
	// starts no TIME-WAIT.
	FinTimeout time.Duration

	finSeen map[flow]time.Time  // the peer's FIN was sent towards this flow
	reset   map[flow]time.Time  // a reset was sent or received on this flow
	pending map[flow]Transition // FIN-WAIT-2 mini-sockets awaiting the peer's FIN
	held    []Transition        // CLOSE → SYN-SENT awaiting the local port
	fed     int
}

// NewInferrer returns an empty Inferrer.
func NewInferrer() *Inferrer {
	return &Inferrer{
		finSeen: map[flow]time.Time{},
		reset:   map[flow]time.Time{},
		pending: map[flow]Transition{},
	}
}

// Feed takes the next transition from the kernel and returns what to pass
// on: usually t itself, followed by any inferred TIME-WAIT; nothing while a
// SYN-SENT transition is held back, then both.
func (in *Inferrer) Feed(t Transition) []Transition {
	if in.fed++; in.fed%256 == 0 {
		in.forget(t.Time.Add(-2 * (in.miniLife() + timeWaitLen)))
	}
	if isPortlessSynSent(t) {
		in.held = append(in.held, t)
		return nil
	}
	released := in.release(t)
	out := make([]Transition, 0, len(released)+1)
	for _, u := range released {
		out = append(out, u)
		out = append(out, in.observe(u)...)
	}
	return out
}

// FINReceived records evidence, from a captured segment or from the socket
// table, that the socket local↔remote received its peer's FIN at time at.
// It returns the TIME-WAIT transition this resolves, if any.
func (in *Inferrer) FINReceived(local, remote netip.AddrPort, at time.Time) []Transition {
	f := flow{local, remote}
	in.finSeen[f] = at
	return in.resolve(f, at)
}

// Flush releases the SYN-SENT transitions held since before cutoff, with
// the port still 0 (their socket said nothing since). Flush(time.Time{}) is
// a no-op; pass a time far in the future to release everything.
func (in *Inferrer) Flush(cutoff time.Time) []Transition {
	var out, keep []Transition
	for _, h := range in.held {
		if h.Time.Before(cutoff) {
			out = append(out, h)
		} else {
			keep = append(keep, h)
		}
	}
	in.held = keep
	for _, u := range out {
		in.observe(u)
	}
	return out
}

// The kernel sets SYN-SENT before inet_hash_connect chooses the ephemeral
// port, so that one event says sport=0 (field note; seen on 6.18).
func isPortlessSynSent(t Transition) bool {
	return t.Kind == StateChange && t.To == tcpstate.SynSent && t.Local.Port() == 0
}

// release returns t preceded by the held SYN-SENT transition of its socket,
// now carrying the local port t shows.
func (in *Inferrer) release(t Transition) []Transition {
	if t.Kind != StateChange || t.From != tcpstate.SynSent || t.Local.Port() == 0 {
		return []Transition{t}
	}
	for i, h := range in.held {
		if h.Remote == t.Remote && sameOrUnset(h.Local.Addr(), t.Local.Addr()) {
			in.held = append(in.held[:i], in.held[i+1:]...)
			h.Local = t.Local
			return []Transition{h, t}
		}
	}
	return []Transition{t}
}

func sameOrUnset(held, now netip.Addr) bool {
	return held == now || !held.IsValid() || held.IsUnspecified()
}

// observe updates what is known about t's flow and returns the inferred
// transitions t implies.
func (in *Inferrer) observe(t Transition) []Transition {
	f := flowOf(t)
	switch t.Kind {
	case ResetSent, ResetReceived:
		in.reset[f] = t.Time
		delete(in.pending, f)
		return nil
	case StateChange:
		return in.stateChange(f, t)
	}
	return nil
}

func (in *Inferrer) stateChange(f flow, t Transition) []Transition {
	switch {
	case t.To == tcpstate.SynSent || t.To == tcpstate.SynRecv:
		in.clear(f) // a new connection reuses the 4-tuple
	case t.To == tcpstate.FinWait1 || t.To == tcpstate.LastAck:
		in.finSeen[f.peer()] = t.Time // f sent its FIN
	case t.To == tcpstate.Close && t.From == tcpstate.LastAck:
		return in.lastAcked(f, t.Time)
	case t.To == tcpstate.Close && t.From == tcpstate.Closing:
		return in.timeWaitUnlessReset(f, t, t.Time)
	case t.To == tcpstate.Close && t.From == tcpstate.FinWait2:
		return in.leaveFinWait2(f, t)
	}
	return nil
}

func (in *Inferrer) leaveFinWait2(f flow, t Transition) []Transition {
	if _, ok := in.finSeen[f]; ok {
		return in.timeWaitUnlessReset(f, t, t.Time)
	}
	if _, ok := in.reset[f]; !ok {
		in.pending[f] = t // orphaned: a mini-socket in FIN-WAIT-2 now
	}
	return nil
}

// lastAcked handles the passive closer's LAST-ACK → CLOSE: with no reset,
// its FIN was acknowledged, and a FIN-WAIT-2 mini-socket acknowledges a FIN
// only as it turns to TIME-WAIT. This is better evidence than the peer's
// LAST-ACK itself, which precedes the FIN on the wire.
func (in *Inferrer) lastAcked(f flow, at time.Time) []Transition {
	if _, ok := in.reset[f]; ok {
		return nil
	}
	return in.resolve(f.peer(), at)
}

// resolve turns the FIN-WAIT-2 mini-socket of f, if any, to TIME-WAIT at
// time at, when its peer's FIN reached it.
func (in *Inferrer) resolve(f flow, at time.Time) []Transition {
	p, ok := in.pending[f]
	if !ok {
		return nil
	}
	delete(in.pending, f)
	if at.After(p.Time.Add(in.miniLife())) {
		return nil // the mini-socket expired before the FIN came
	}
	return in.timeWaitUnlessReset(f, p, later(p.Time, at))
}

// miniLife is how long an orphaned FIN-WAIT-2 mini-socket lives after the
// full socket closed. With tcp_fin_timeout ≤ 60 s the kernel swaps the
// socket at once (tcp_rcv_state_process → tcp_time_wait(sk, TCP_FIN_WAIT2,
// tcp_fin_time)); above 60 s the full socket first waits fin_timeout − 60 s
// on its keepalive timer and the mini-socket gets fin_timeout − 60 s more
// (tcp_keepalive_timer). Measured here for 2 s and 60 s.
func (in *Inferrer) miniLife() time.Duration {
	fin := in.FinTimeout
	if fin <= 0 {
		fin = timeWaitLen
	}
	if fin > timeWaitLen {
		fin -= timeWaitLen
	}
	return fin + finSlack
}

func (in *Inferrer) timeWaitUnlessReset(f flow, t Transition, at time.Time) []Transition {
	if _, ok := in.reset[f]; ok {
		return nil
	}
	return []Transition{{
		Time: at, Kind: StateChange, Local: t.Local, Remote: t.Remote,
		From: t.From, To: tcpstate.TimeWait, Inferred: true,
	}}
}

func (in *Inferrer) clear(f flow) {
	delete(in.finSeen, f)
	delete(in.reset, f)
	delete(in.pending, f)
}

// forget drops what is older than cutoff, so that a long trace of many
// connections keeps bounded memory.
func (in *Inferrer) forget(cutoff time.Time) {
	for f, at := range in.finSeen {
		if at.Before(cutoff) {
			delete(in.finSeen, f)
		}
	}
	for f, at := range in.reset {
		if at.Before(cutoff) {
			delete(in.reset, f)
		}
	}
	for f, p := range in.pending {
		if p.Time.Before(cutoff) {
			delete(in.pending, f)
		}
	}
}
