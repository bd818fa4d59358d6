package record

import (
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/tcpstate"
)

// Client and Server index Conn.Sides. The client is the side that sent the
// SYN; when the capture began mid-connection, the side with the ephemeral
// port.
const (
	Client = 0
	Server = 1
)

// Conn is one TCP connection as the capture saw it.
type Conn struct {
	ID          int // 1, 2, … in the order of each connection's first packet
	Sides       [2]Side
	First, Last time.Time
	Packets     int       // segments seen
	Handshake   bool      // a SYN was seen (the connection's start is in the capture)
	SynAck      bool      // the server answered the SYN with SYN-ACK
	SynAckedAt  time.Time // when the client's ACK completed the handshake
	AtEnd       bool      // still tracked when the capture ended (Builder.Flush)
	Expired     bool      // not finished, handed over after Builder.Idle without packets
	// Closer is the side that sent the first FIN or RST, -1 when none did.
	Closer int
	// ZeroWindowAtClose: a side's last advertised window was 0 when the
	// first FIN or RST went out, or a zero window came after it.
	ZeroWindowAtClose bool
	// TailRetrans counts the retransmissions by TailSide that end the
	// connection with no answer from the peer: a timeout in progress.
	TailSide, TailRetrans int
	// Timeline holds every packet when the Builder's Keep selected this
	// connection, else nil.
	Timeline []Packet
	States   []State

	synTime  time.Time
	closeIdx int // packet index of the first FIN or RST, -1 before
}

// Side is the bookkeeping of what one side sent, in its own sequence space
// (relative to its ISN).
type Side struct {
	Addr    netip.AddrPort
	ISN     uint32 // absolute; relative numbers are counted from it
	SYNs    int    // SYN (or SYN-ACK) segments sent: more than one means retransmitted
	Bytes   int64  // payload bytes sent: highest data byte minus the first
	Acked   int64  // of Bytes, those the peer acknowledged (its highest ACK)
	FIN     Mark   // the first FIN this side sent
	FINAck  Mark   // the peer's first ACK covering that FIN
	RST     Mark   // the first RST this side sent
	Retrans int    // retransmitted segments (see the package doc)
	// FINRetrans counts retransmitted FINs; FINRetransAfterAck those sent
	// after the capture had already seen the peer acknowledge the FIN: the
	// ACK was lost between the capture point and this side.
	FINRetrans, FINRetransAfterAck int
	ZeroWindows                    int    // segments advertising a zero window
	Win                            uint32 // last advertised window, scaled when both SYNs agreed on scaling
	// DataAfterPeerFIN counts payload bytes this side sent after the peer's
	// FIN: into a half-closed (or closed) connection.
	DataAfterPeerFIN   int64
	DataAfterPeerFINAt time.Time
	// Traced: a state transition of this side's socket was attached
	// (Builder.Transition); State is where the last one left it (inferred
	// TIME-WAITs aside), and StateGaps counts the transitions whose chain
	// was broken (State.Gap).
	Traced    bool
	State     tcpstate.State
	StateGaps int

	known, began     bool   // ISN set; a SYN, FIN or data byte sent
	dataStart        uint32 // relative number of the first data byte (1 after a SYN)
	next             uint32 // relative: one past the highest number sent (SYN and FIN count)
	nextAt           time.Time
	hiData           uint32 // relative: one past the highest data byte sent
	acked            uint32 // relative: highest ack received for this side's numbers
	ackAbs           int64  // that ack minus the first data byte, not wrapping
	ackKnown, winSet bool
	rawWin           uint16
	wscale           int8 // -1: no window-scale option in this side's SYN
}

// Mark is one moment of a connection: a FIN, its ACK, an RST.
type Mark struct {
	Seen bool
	At   time.Time
	Seq  uint32 // relative sequence (or ack) number
	N    int    // index of the packet among the connection's packets
}

// Packet is one segment of a kept connection, with relative numbers.
type Packet struct {
	At       time.Time
	From     int // Client or Server
	Flags    capture.Flags
	Seq, Ack uint32 // relative, as tcpdump prints them; Ack 0 without the ACK flag
	Len      int
	Win      uint16
	Retrans  bool
	Payload  string // the first bytes of payload (at most 64)
}

// State is a traced state transition of one side's socket.
type State struct {
	At       time.Time
	Side     int
	From, To tcpstate.State
	Inferred bool
	// Gap: the transition does not leave the state the side's previous one
	// entered. Every state change names the state it leaves, so a socket's
	// transitions form a chain; a broken link means the kernel dropped the
	// events in between (trace buffer full).
	Gap bool
	// Prev is, with Gap, the state the side's previous transition entered.
	Prev tcpstate.State
	// Midlife: the side's first transition leaves a state a socket reaches
	// only through others. Either tracing began during the socket's life or
	// its first events were lost; only the tracer's loss count can tell.
	Midlife bool
}

// Chain checks st against the side's previous transition, marks Gap or
// Midlife, and advances the side's state (Builder.Transition does it for
// the connections it tracks; a socket without one, such as a listener, can
// keep a Side of its own). An inferred TIME-WAIT is not a link: the tracer derives it
// from the chain itself, after the kernel's own FIN-WAIT-2 or CLOSING →
// CLOSE (trace.Inferrer).
func (sd *Side) Chain(st *State) {
	if st.Inferred {
		return
	}
	switch {
	case sd.Traced && sd.State != st.From:
		st.Gap, st.Prev = true, sd.State
		sd.StateGaps++
	case !sd.Traced && !StartState(st.From):
		st.Midlife = true
	}
	sd.Traced, sd.State = true, st.To
}

// StartState reports whether a socket's first transition can leave s: a
// new socket is CLOSE; a passive open's child is cloned from the listener
// (LISTEN) in SYN-RECV, or NEW-SYN-RECV for the request socket.
func StartState(s tcpstate.State) bool {
	return s == tcpstate.Close || s == tcpstate.Listen || s == tcpstate.SynRecv || s == tcpstate.NewSynRecv
}

// Alive reports whether the side's last traced transition left its socket
// in a state other than CLOSE: more transitions are due.
func (sd *Side) Alive() bool { return sd.Traced && sd.State != tcpstate.Close }

// Unacked is the number of payload bytes the side sent that the peer never
// acknowledged.
func (s *Side) Unacked() int64 { return max(s.Bytes-s.Acked, 0) }

// Finished reports whether the connection is over on the wire: an RST, or
// both FINs each acknowledged.
func (c *Conn) Finished() bool {
	a, b := &c.Sides[Client], &c.Sides[Server]
	return a.RST.Seen || b.RST.Seen || (a.FINAck.Seen && b.FINAck.Seen)
}

// Duration is the time from the connection's first packet to its last.
func (c *Conn) Duration() time.Duration { return c.Last.Sub(c.First) }

// Peer returns the index of the other side.
func Peer(side int) int { return 1 - side }
