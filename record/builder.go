package record

import (
	"net/netip"
	"slices"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/trace"
)

// DefaultLinger is how long, in capture time, a finished connection stays
// tracked after its last packet. Linux retransmits an unacknowledged FIN
// after its RTO, at least 200 ms and doubling (TCP_RTO_MIN in
// include/net/tcp.h): the first five retries of a final FIN whose ACK was
// lost come within 0.2+0.4+0.8+1.6+3.2 = 6.2 s, so 10 s keeps them with their
// connection while memory stays bounded by the connections still open.
const DefaultLinger = 10 * time.Second

// Builder groups segments into connections. Feed it segments in capture
// order with Add; it calls Done for each connection once it is over (or,
// from Flush, when the capture ended).
type Builder struct {
	// Done receives each connection once; it must not keep c.Timeline's
	// backing array past the call if it wants memory back (it may keep c).
	Done func(c *Conn)
	// Keep chooses, when a connection starts, whether its packets are kept
	// in Conn.Timeline (nil: none are).
	Keep func(id int) bool
	// Linger overrides DefaultLinger when positive.
	Linger time.Duration
	// Idle, when positive, also hands over a connection not finished but
	// quiet for Idle of capture time (Conn.Expired): a long live capture
	// that missed a connection's end (packets dropped) must not keep it
	// forever. Zero: never, as a file's long-lived connections stay whole.
	Idle time.Duration
	// RestartAtSYN numbers like tcpdump does across reused four-tuples: a
	// SYN whose ISN is not its sender's starts a new connection even when
	// the previous one on the pair never finished (the lab's scenarios
	// reuse four-tuples while a socket still holds the old one, see the
	// old-duplicate scenario), and a SYN-ACK with a new ISN restarts its
	// sender's numbering in place. The new connection's other side keeps
	// the previous one's ISN until it sends its own SYN: what it sends
	// before (a challenge ACK, an RST) comes from the old socket and
	// belongs to the old sequence space.
	RestartAtSYN bool

	conns  map[key]*Conn
	nextID int
	now    time.Time
	// finished holds connections in the order they finished, for the
	// sweep: the oldest is handed over first once it has been quiet for
	// Linger.
	finished []queued
	head     int // b.finished[:head] are handed over
	adds     int // segments since the last idle sweep
}

// idleSweepEvery: the idle sweep looks at every connection, so it runs
// once per this many segments (O(1) amortised per segment).
const idleSweepEvery = 4096

type queued struct {
	k key
	c *Conn
}

// key names a connection by its two ends in a fixed order.
type key struct{ a, b netip.AddrPort }

func keyOf(x, y netip.AddrPort) key {
	if x.Compare(y) < 0 {
		return key{x, y}
	}
	return key{y, x}
}

// Add folds one segment into its connection. Segments that are not TCP are
// ignored.
func (b *Builder) Add(s *capture.Segment) {
	if s.Proto != capture.TCP {
		return
	}
	if b.conns == nil {
		b.conns = map[key]*Conn{}
	}
	k := keyOf(s.Src, s.Dst)
	c := b.conns[k]
	var prev *Conn
	if c != nil && (reused(c, s) || b.RestartAtSYN && newISN(c, s, false)) {
		b.finish(k, c)
		prev, c = c, nil
	}
	if c == nil {
		c = b.open(k, s)
		if b.RestartAtSYN && prev != nil {
			inherit(c, prev, s.Dst)
		}
	}
	from := Client
	if s.Src != c.Sides[Client].Addr {
		from = Server
	}
	if b.RestartAtSYN && newISN(c, s, true) {
		c.Sides[from] = Side{Addr: s.Src}
	}
	was := c.Finished()
	c.add(s, from, c.Timeline != nil)
	if !was && c.Finished() {
		b.finished = append(b.finished, queued{k, c})
	}
	b.now = s.Time
	b.sweep()
	if b.adds++; b.Idle > 0 && b.adds >= idleSweepEvery {
		b.adds = 0
		b.sweepIdle()
	}
}

// sweepIdle hands over the connections not finished and quiet for Idle.
func (b *Builder) sweepIdle() {
	var ks []key
	for k, c := range b.conns {
		if !c.Finished() && b.now.Sub(c.Last) >= b.Idle {
			c.Expired = true
			ks = append(ks, k)
		}
	}
	b.finishAll(ks)
}

// reused: a new SYN on the pair of a finished connection, with another
// ISN, is a new connection (the port was reused after TIME-WAIT).
func reused(c *Conn, s *capture.Segment) bool {
	if !s.Flags.Has(capture.SYN) || s.Flags.Has(capture.ACK) || !c.Finished() {
		return false
	}
	return s.Src != c.Sides[Client].Addr || s.Seq != c.Sides[Client].ISN
}

// newISN: s is a SYN (synAck: a SYN-ACK) whose sender already has an ISN
// in c, another one.
func newISN(c *Conn, s *capture.Segment, synAck bool) bool {
	if !s.Flags.Has(capture.SYN) || s.Flags.Has(capture.ACK) != synAck {
		return false
	}
	for i := range c.Sides {
		if sd := &c.Sides[i]; sd.Addr == s.Src {
			return sd.known && s.Seq != sd.ISN
		}
	}
	return false
}

// inherit gives the side at addr of the new connection c the ISN it had in
// prev (RestartAtSYN).
func inherit(c, prev *Conn, addr netip.AddrPort) {
	for i := range prev.Sides {
		old := &prev.Sides[i]
		if old.Addr != addr || !old.known {
			continue
		}
		for j := range c.Sides {
			if sd := &c.Sides[j]; sd.Addr == addr {
				sd.known, sd.ISN, sd.wscale, sd.dataStart, sd.hiData = true, old.ISN, -1, old.dataStart, old.dataStart
			}
		}
	}
}

func (b *Builder) open(k key, s *capture.Segment) *Conn {
	b.nextID++
	c := &Conn{ID: b.nextID, Closer: -1, TailSide: -1, closeIdx: -1}
	client, server := s.Src, s.Dst
	if !clientSent(s) {
		client, server = server, client
	}
	c.Sides[Client].Addr, c.Sides[Server].Addr = client, server
	if b.Keep != nil && b.Keep(c.ID) {
		c.Timeline = make([]Packet, 0, 16)
	}
	b.conns[k] = c
	return c
}

// clientSent tells whether the first segment seen came from the client:
// the SYN's sender is the client, a SYN-ACK's receiver is; with no SYN, the
// side with the ephemeral port (the higher one when both or neither look
// ephemeral: servers listen on low, well-known ports).
func clientSent(s *capture.Segment) bool {
	switch {
	case s.Flags.Has(capture.SYN) && !s.Flags.Has(capture.ACK):
		return true
	case s.Flags.Has(capture.SYN):
		return false
	}
	se, de := ephemeral(s.Src.Port()), ephemeral(s.Dst.Port())
	if se != de {
		return se
	}
	return s.Src.Port() > s.Dst.Port()
}

// ephemeral: Linux's default ip_local_port_range (32768–60999) and the
// IANA dynamic range (49152–65535) that other systems use.
func ephemeral(p uint16) bool { return p >= 32768 }

// sweep hands over the finished connections that have been quiet for
// Linger, oldest first. A connection that got packets after it finished
// (a retransmitted FIN) waits for its new last packet; those behind it
// wait with it, a little longer than Linger, which bounds nothing worse.
func (b *Builder) sweep() {
	linger := b.linger()
	for ; b.head < len(b.finished); b.head++ {
		q := b.finished[b.head]
		if b.conns[q.k] != q.c { // already handed over (a reused port)
			continue
		}
		if b.now.Sub(q.c.Last) < linger {
			break
		}
		b.finish(q.k, q.c)
		b.finished[b.head] = queued{}
	}
	// Reuse the array once the handed-over half is the larger one: each
	// entry is copied at most once per halving, O(1) amortised.
	if b.head > len(b.finished)/2 {
		b.finished = append(b.finished[:0], b.finished[b.head:]...)
		b.head = 0
	}
}

func (b *Builder) linger() time.Duration {
	if b.Linger > 0 {
		return b.Linger
	}
	return DefaultLinger
}

// Flush hands over every connection still tracked, marked AtEnd, in the
// order they started.
func (b *Builder) Flush() {
	ks := make([]key, 0, len(b.conns))
	for k := range b.conns {
		ks = append(ks, k)
	}
	for _, k := range ks {
		b.conns[k].AtEnd = true
	}
	b.finishAll(ks)
	b.finished, b.head = nil, 0
}

func (b *Builder) finishAll(ks []key) {
	slices.SortFunc(ks, func(x, y key) int { return b.conns[x].ID - b.conns[y].ID })
	for _, k := range ks {
		b.finish(k, b.conns[k])
	}
}

func (b *Builder) finish(k key, c *Conn) {
	delete(b.conns, k)
	c.Closer = closer(c)
	if b.Done != nil {
		b.Done(c)
	}
}

// closer is the side whose FIN or RST came first.
func closer(c *Conn) int {
	if c.closeIdx < 0 {
		return -1
	}
	for i := range c.Sides {
		sd := &c.Sides[i]
		if (sd.FIN.Seen && sd.FIN.N == c.closeIdx) || (sd.RST.Seen && sd.RST.N == c.closeIdx) {
			return i
		}
	}
	return -1
}

// Open is the number of connections tracked now.
func (b *Builder) Open() int { return len(b.conns) }

// AddTransition attaches a traced state change to the connection of its
// socket (by its local and remote address), when that connection is
// tracked; it reports whether it was.
func (b *Builder) AddTransition(t trace.Transition) bool {
	_, _, ok := b.Transition(t)
	return ok
}

// Transition is AddTransition that also returns the connection and the
// state as recorded, with its chain checked (State.Gap, State.Midlife).
// The socket's addresses are compared as the wire shows them: an IPv6
// socket talking to an IPv4 peer has v4-mapped addresses (::ffff:a.b.c.d)
// while its packets carry plain IPv4 ones.
func (b *Builder) Transition(t trace.Transition) (*Conn, State, bool) {
	if t.Kind != trace.StateChange {
		return nil, State{}, false
	}
	local, remote := Unmap(t.Local), Unmap(t.Remote)
	c := b.conns[keyOf(local, remote)]
	if c == nil {
		return nil, State{}, false
	}
	side := Client
	if local != c.Sides[Client].Addr {
		side = Server
	}
	st := State{At: t.Time, Side: side, From: t.From, To: t.To, Inferred: t.Inferred}
	c.Sides[side].Chain(&st)
	c.States = append(c.States, st)
	return c, st, true
}

// Unmap returns ap with a v4-mapped address as plain IPv4.
func Unmap(ap netip.AddrPort) netip.AddrPort {
	if !ap.IsValid() || !ap.Addr().Is4In6() {
		return ap
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Lookup returns the tracked connection between x and y (either order,
// v4-mapped addresses as IPv4), or nil.
func (b *Builder) Lookup(x, y netip.AddrPort) *Conn {
	return b.conns[keyOf(Unmap(x), Unmap(y))]
}

// Each calls fn for every connection still tracked, in no fixed order.
func (b *Builder) Each(fn func(*Conn)) {
	for _, c := range b.conns {
		fn(c)
	}
}

// Advance tells the Builder that capture time has reached now although no
// segment came (a live capture's clock): the finished connections quiet for
// Linger are handed over. A stamp earlier than the last one changes nothing.
func (b *Builder) Advance(now time.Time) {
	if now.After(b.now) {
		b.now = now
	}
	b.sweep()
}
