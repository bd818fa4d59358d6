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
	// TimeWaitPorts lists, per remote end (address and port), the local
	// ports of the TIME-WAIT sockets toward it. A TIME-WAIT socket holds
	// its 4-tuple: only those whose local port came from the ephemeral
	// range keep connect() from reusing that port toward that peer, so a
	// server's own TIME-WAITs (local port 80) take nothing from anyone.
	TimeWaitPorts map[netip.AddrPort][]uint16
	// CloseWaitAges holds how long each CLOSE-WAIT socket has been seen in
	// CLOSE-WAIT (an AgeTracker fills it; a lower bound: since the first
	// sample that showed it). AgesKnown is false when no earlier sample
	// exists, as with watch -once: then the ages are all 0.
	CloseWaitAges []time.Duration
	AgesKnown     bool
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
		if k.State == tcpstate.TimeWait {
			if s.TimeWaitPorts == nil {
				s.TimeWaitPorts = map[netip.AddrPort][]uint16{}
			}
			s.TimeWaitPorts[k.Remote] = append(s.TimeWaitPorts[k.Remote], k.Local.Port())
		}
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

// AgeTracker remembers when each socket was first seen in CLOSE-WAIT
// across samples, by its cookie (the kernel's unique socket id; its inode
// when it has no cookie). The zero value is ready to use.
type AgeTracker struct {
	first   map[uint64]time.Time
	started time.Time // the first sample: ages before it are unknown
}

// Summarize is the package's Summarize plus the CLOSE-WAIT ages. Sockets
// no longer in CLOSE-WAIT are forgotten.
func (a *AgeTracker) Summarize(at time.Time, socks []Socket) Sample {
	s := Summarize(at, socks)
	if a.first == nil {
		a.first, a.started = map[uint64]time.Time{}, at
	}
	s.AgesKnown = at.After(a.started)
	seen := make(map[uint64]bool)
	for _, k := range socks {
		if k.State != tcpstate.CloseWait {
			continue
		}
		id := k.Cookie
		if id == 0 {
			id = uint64(k.Inode)
		}
		seen[id] = true
		if _, ok := a.first[id]; !ok {
			a.first[id] = at
		}
		s.CloseWaitAges = append(s.CloseWaitAges, at.Sub(a.first[id]))
	}
	for id := range a.first {
		if !seen[id] {
			delete(a.first, id)
		}
	}
	return s
}

// Age is how long s has been seen in CLOSE-WAIT as of the last Summarize
// (0 for other states, or when not known yet).
func (a *AgeTracker) Age(s Socket, at time.Time) time.Duration {
	if s.State != tcpstate.CloseWait || !at.After(a.started) {
		return 0
	}
	id := s.Cookie
	if id == 0 {
		id = uint64(s.Inode)
	}
	if f, ok := a.first[id]; ok {
		return at.Sub(f)
	}
	return 0
}

// OldestCloseWait is the age of the oldest CLOSE-WAIT socket (0 if none).
func (s Sample) OldestCloseWait() time.Duration {
	var m time.Duration
	for _, d := range s.CloseWaitAges {
		m = max(m, d)
	}
	return m
}
