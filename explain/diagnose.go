package explain

import (
	"time"

	"github.com/tcpteardown/teardown/record"
	"github.com/tcpteardown/teardown/tcpstate"
)

// Endings: how a connection ended (a contract: these exact strings appear
// in `teardown explain -json`).
const (
	Clean           = "clean"
	HalfClose       = "half-close"
	Simultaneous    = "simultaneous"
	Abort           = "abort"
	ResetAfterClose = "reset-after-close"
	Refused         = "refused"
	Timeout         = "timeout"
	Open            = "open"
	Unknown         = "unknown"
)

// Endings lists every ending in the order the summary prints them.
var Endings = []string{Clean, HalfClose, Simultaneous, Abort, ResetAfterClose, Refused, Timeout, Open, Unknown}

// Flags (also a contract).
const (
	FlagFINRetransmitted = "fin-retransmitted"
	FlagLastACKLost      = "last-ack-lost"
	FlagDataLost         = "data-lost"
	FlagResponseAtRisk   = "response-at-risk"
	FlagZeroWindow       = "zero-window-at-close"
	FlagSYNRetransmitted = "syn-retransmitted"
	FlagTimeWaitClient   = "time-wait-on-client"
	FlagTimeWaitServer   = "time-wait-on-server"
)

// Diagnosis is what explain says about one connection.
type Diagnosis struct {
	ID             int
	Client, Server string
	Ending         string
	// State is each side's TCP state when the capture ended, for Open.
	State  [2]tcpstate.State
	Flags  []string
	Closer int // record.Client, record.Server, or -1
	// Duration from the first packet to the last.
	Duration time.Duration
	Bytes    [2]int64 // payload bytes each side sent
	Lost     [2]int64 // bytes each side sent that were never acknowledged before an RST
	Retrans  [2]int
	ZeroWins [2]int
	Packets  int

	tail int // the side whose retransmissions ended the connection, for Timeout
}

// tailTimeout is how many unanswered retransmissions at the end of a
// connection make a timeout: one could be a single lost segment whose
// answer the capture missed; Linux's own give-up takes many more
// (tcp_retries2 = 15, tcp_syn_retries = 6), but a capture usually stops
// before that.
const tailTimeout = 2

// Diagnose classifies one connection.
func Diagnose(c *record.Conn) Diagnosis {
	d := Diagnosis{ID: c.ID, Client: c.Sides[record.Client].Addr.String(), Server: c.Sides[record.Server].Addr.String(),
		Closer: c.Closer, Duration: c.Duration(), Packets: c.Packets, tail: max(c.TailSide, 0)}
	for i := range c.Sides {
		sd := &c.Sides[i]
		d.Bytes[i], d.Retrans[i], d.ZeroWins[i] = sd.Bytes, sd.Retrans, sd.ZeroWindows
	}
	d.Ending = ending(c)
	if d.Ending == Open {
		d.State = openStates(c)
	}
	d.lost(c)
	d.Flags = flags(c, &d)
	return d
}

func ending(c *record.Conn) string {
	cl, sv := &c.Sides[record.Client], &c.Sides[record.Server]
	rst := cl.RST.Seen || sv.RST.Seen
	switch {
	case c.Handshake && !c.SynAck && sv.RST.Seen:
		return Refused
	case c.TailRetrans >= tailTimeout || (c.TailRetrans > 0 && rst && c.Sides[c.TailSide].RST.Seen):
		return Timeout
	case rst:
		return resetEnding(c)
	case cl.FIN.Seen && sv.FIN.Seen && cl.FINAck.Seen && sv.FINAck.Seen:
		return finEnding(c)
	case c.Packets > 0 && (c.Handshake || cl.Bytes+sv.Bytes > 0 || cl.FIN.Seen || sv.FIN.Seen || c.Packets > 1):
		return Open
	}
	return Unknown
}

// resetEnding: the side whose RST came first had sent its FIN (and the
// peer then sent data or its FIN into the closed socket), or not.
func resetEnding(c *record.Conn) string {
	x := firstRST(c)
	sx, sy := &c.Sides[x], &c.Sides[record.Peer(x)]
	if sx.FIN.Seen && sx.FIN.N < sx.RST.N && (sy.DataAfterPeerFIN > 0 || (sy.FIN.Seen && sy.FIN.N > sx.FIN.N)) {
		return ResetAfterClose
	}
	if !c.Handshake && c.Packets == 1 {
		return Unknown // a lone RST: nothing to say which connection it ended
	}
	return Abort
}

func firstRST(c *record.Conn) int {
	cl, sv := &c.Sides[record.Client], &c.Sides[record.Server]
	if cl.RST.Seen && (!sv.RST.Seen || cl.RST.N < sv.RST.N) {
		return record.Client
	}
	return record.Server
}

// finEnding: both FINs acknowledged. Crossed FINs: the second FIN's sender
// had not yet acknowledged the first when it sent its own (RFC 9293 §3.6,
// both sides then go through CLOSING). Half-close: the second side sent
// data after the first FIN.
func finEnding(c *record.Conn) string {
	first := c.Closer
	if first < 0 {
		first = record.Client
	}
	a, b := &c.Sides[first], &c.Sides[record.Peer(first)]
	switch {
	case a.FINAck.N > b.FIN.N:
		return Simultaneous
	case b.DataAfterPeerFIN > 0:
		return HalfClose
	}
	return Clean
}

// openStates infers each side's state from what the capture saw last.
func openStates(c *record.Conn) [2]tcpstate.State {
	var st [2]tcpstate.State
	for i := range st {
		st[i] = sideState(c, i)
	}
	return st
}

func sideState(c *record.Conn, i int) tcpstate.State {
	me, peer := &c.Sides[i], &c.Sides[record.Peer(i)]
	switch {
	case me.FIN.Seen && peer.FIN.Seen && me.FINAck.Seen:
		return tcpstate.TimeWait
	case me.FIN.Seen && peer.FIN.Seen && peer.FIN.N < me.FIN.N:
		return tcpstate.LastAck
	case me.FIN.Seen && peer.FIN.Seen:
		return tcpstate.Closing
	case me.FIN.Seen && me.FINAck.Seen:
		return tcpstate.FinWait2
	case me.FIN.Seen:
		return tcpstate.FinWait1
	case peer.FIN.Seen:
		return tcpstate.CloseWait
	}
	return handshakeState(c, i)
}

func handshakeState(c *record.Conn, i int) tcpstate.State {
	switch {
	case !c.Handshake || !c.SynAckedAt.IsZero():
		return tcpstate.Established
	case i == record.Client && c.SynAck:
		return tcpstate.Established // it sent no ACK the capture saw, but it got the SYN-ACK
	case i == record.Client:
		return tcpstate.SynSent
	case c.SynAck:
		return tcpstate.SynRecv
	}
	return tcpstate.Listen
}

// lost counts, when an RST ended the connection, the bytes each side sent
// that the peer never acknowledged.
func (d *Diagnosis) lost(c *record.Conn) {
	if !c.Sides[0].RST.Seen && !c.Sides[1].RST.Seen {
		return
	}
	for i := range c.Sides {
		d.Lost[i] = c.Sides[i].Unacked()
	}
}

func flags(c *record.Conn, d *Diagnosis) []string {
	var fs []string
	add := func(ok bool, f string) {
		if ok {
			fs = append(fs, f)
		}
	}
	cl, sv := &c.Sides[record.Client], &c.Sides[record.Server]
	add(cl.FINRetrans+sv.FINRetrans > 0, FlagFINRetransmitted)
	add(lastACKLost(c), FlagLastACKLost)
	add(d.Lost[0]+d.Lost[1] > 0, FlagDataLost)
	add(responseAtRisk(c), FlagResponseAtRisk)
	add(c.ZeroWindowAtClose, FlagZeroWindow)
	add(cl.SYNs > 1 || sv.SYNs > 1, FlagSYNRetransmitted)
	tw := timeWait(c, d.Ending)
	add(tw[record.Client], FlagTimeWaitClient)
	add(tw[record.Server], FlagTimeWaitServer)
	return fs
}

// lastACKLost: the second FIN was sent again after the capture saw the
// first closer acknowledge it — that ACK never arrived, and the first
// closer, in TIME-WAIT, answers the retransmitted FIN with a new ACK
// (RFC 9293 §3.6.1: why TIME-WAIT exists).
func lastACKLost(c *record.Conn) bool {
	if c.Closer < 0 {
		return false
	}
	// A FIN resent with no ACK captured before it may have been lost
	// itself: only a resend after its captured ACK proves the ACK's loss.
	return c.Sides[record.Peer(c.Closer)].FINRetransAfterAck > 0
}

// responseAtRisk: the side that sent the first RST had data toward the
// peer that the peer had not acknowledged: the peer's kernel, reset,
// discards what it holds unread and never gets the rest (RFC 9112 §9.6,
// claim C21).
func responseAtRisk(c *record.Conn) bool {
	if !c.Sides[0].RST.Seen && !c.Sides[1].RST.Seen {
		return false
	}
	return c.Sides[firstRST(c)].Unacked() > 0
}

// timeWait: the side that sent the first FIN of an orderly close ends in
// TIME-WAIT; with crossed FINs both do. An RST leaves no TIME-WAIT (C17).
func timeWait(c *record.Conn, ending string) [2]bool {
	var tw [2]bool
	switch ending {
	case Clean, HalfClose:
		if c.Closer >= 0 {
			tw[c.Closer] = true
		}
	case Simultaneous:
		tw = [2]bool{true, true}
	case Open:
		st := openStates(c)
		tw = [2]bool{st[0] == tcpstate.TimeWait, st[1] == tcpstate.TimeWait}
	}
	return tw
}
