package sockdiag

import (
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Sample is what `teardown watch` keeps of one look at the socket table:
// counts per state, the accept queues of the listeners, and the orphans.
// A series of samples is the input of Alarms.
type Sample struct {
	At        time.Time
	Counts    map[tcpstate.State]int
	Listeners []Listener
	Orphans   int // sockets no process holds any more (Socket.Orphan)
	// OrphansFinWait2 counts the orphans in FIN-WAIT-2: closed by their
	// application, acknowledged by the peer, waiting for the peer's FIN.
	OrphansFinWait2 int
	// OrphansRetrying counts the other orphans whose pending timer has
	// already fired (retransmission or zero-window probe): the peer does not
	// acknowledge their data or FIN. A healthy busy server always has a few
	// orphans for a moment (LAST-ACK until the final ACK); these are stuck.
	OrphansRetrying int
}

// Listener is the accept queue of one listening socket (C25): Queued
// connections have completed the handshake and wait for accept(); Backlog
// is the limit given to listen() (capped by net.core.somaxconn).
type Listener struct {
	Local   netip.AddrPort `json:"local"`
	Queued  uint32         `json:"queue"`
	Backlog uint32         `json:"backlog"`
}

// Full reports whether the kernel has stopped taking connections for this
// listener. Linux admits one connection more than the backlog (the queue is
// full when Queued > Backlog), so Queued == Backlog already means that the
// next completed handshake is the last one it accepts.
func (l Listener) Full() bool { return l.Queued > 0 && l.Queued >= l.Backlog }

// Summarize turns the rows of one List into a Sample taken at at.
func Summarize(at time.Time, socks []Socket) Sample {
	s := Sample{At: at, Counts: Count(socks)}
	for _, k := range socks {
		switch {
		case k.State == tcpstate.Listen:
			s.Listeners = append(s.Listeners, Listener{Local: k.Local, Queued: k.RecvQ, Backlog: k.SendQ})
		case k.Orphan:
			s.Orphans++
			switch {
			case k.State == tcpstate.FinWait2:
				s.OrphansFinWait2++
			case k.Retrans > 0 && (k.Timer == TimerOn || k.Timer == TimerProbe):
				s.OrphansRetrying++
			}
		}
	}
	return s
}
