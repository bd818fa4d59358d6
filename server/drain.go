package server

import (
	"fmt"
	"net"
)

// Drain says how Shutdown kept new connections out of a listener's accept
// queue while it accepted what the queue held. Closing a listener resets
// every connection still queued (Linux's inet_csk_listen_stop), and those
// clients have usually sent their request already: each is a lost reply. So
// Shutdown first stops new handshakes, accepts for a grace period, and only
// then closes.
type Drain int

// The ways Shutdown drains, from the most to the least exact. With several
// listeners Stats reports the weakest one used.
const (
	// DrainNotRun: Shutdown has not run (Close does not drain).
	DrainNotRun Drain = iota
	// DrainSYNFilter: a socket filter dropped segments with SYN set and ACK
	// clear. SO_ATTACH_FILTER needs privilege on some kernels (measured:
	// EPERM for an unprivileged user on Linux 6.18 with
	// kernel.unprivileged_bpf_disabled = 2).
	DrainSYNFilter
	// DrainMinTTL: IP_MINTTL (and IPV6_MINHOPCOUNT) 255 on the listener
	// dropped new SYNs, without privilege. A peer that sends with a TTL of
	// 255 still gets in, and may then be reset at the close; connections
	// whose handshake ended during the drain have their data delayed by one
	// retransmission (they inherit the bound until accepted).
	DrainMinTTL
	// DrainNone: nothing stopped new handshakes (not a TCP listener, or
	// both ways failed; ErrorLog says why): the listener was closed at
	// once and the connections in its queue were reset, counted in
	// Stats.QueueResets.
	DrainNone
)

var drainNames = [...]string{"not-run", "syn-filter", "min-ttl", "none"}

// String returns the drain's name, e.g. "min-ttl".
func (d Drain) String() string {
	if d >= 0 && int(d) < len(drainNames) {
		return drainNames[d]
	}
	return fmt.Sprintf("Drain(%d)", int(d))
}

// noteDrain records d if it is weaker than what another listener got.
func (c *counters) noteDrain(d Drain) {
	for {
		old := c.drain.Load()
		if int32(d) <= old || c.drain.CompareAndSwap(old, int32(d)) {
			return
		}
	}
}

// closeListener closes l and counts the connections its queue held, which
// the kernel resets.
func (s *Server) closeListener(l net.Listener) {
	if n := queued(l); n > 0 {
		s.stats.queueResets.Add(uint64(n))
	}
	l.Close()
}
