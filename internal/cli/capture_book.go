package cli

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/record"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

// stateBook decides which transitions capture -states shows and what it
// says about them. The connections are record's: every captured segment
// goes to a record.Builder, and a transition joins its connection there
// (record.Builder.Transition), which also checks its socket's chain.
//
// Whose socket? Tracepoints are global: inet_sock_set_state fires for the
// sockets of every network namespace, and on 6.18 it carries no namespace
// (its fields are skaddr, the states, ports and addresses; no net cookie:
// /sys/kernel/tracing/events/sock/inet_sock_set_state/format), and event
// probes that could follow skaddr to its namespace are not built into this
// kernel (CONFIG_EPROBE_EVENTS unset). So a connection counts as ours when
// its packets were captured here (the Builder tracks it), or else when the
// captured namespace's socket table (sock_diag, which only ever lists its
// own namespace) has it. The rest is counted and reported, not shown.
//
// Complete? Every state change names the state it leaves, so a socket's
// transitions form a chain; a link that does not start where the previous
// one ended means the kernel dropped events in between (trace buffer full),
// and the line says so (record.State.Gap). Sockets with no connection
// record (a listener, a connection whose packets were not captured) keep
// their chain here, in loose.
type stateBook struct {
	nsfd    int
	ports   []uint16
	rec     *record.Builder
	verdict map[connKey]verdict // sock_diag's answer for transitions without a connection record
	loose   map[sockKey]tcpstate.State
	// ended holds the sockets of connections the Builder handed over while
	// their chain still left them alive: their last transitions may have
	// been lost (checked at the end, unfinished).
	ended   []sockEnd
	marked  map[sockKey]bool // sockets whose lines said states are missing
	hidden  uint64           // transitions not shown: not this namespace's
	inserts int
	lookErr error // the first sock_diag failure (then everything is shown)
}

type verdict struct {
	ours bool
	at   time.Time
}

// connKey names a connection by its two ends in a fixed order, so both
// sockets of a loopback connection share it.
type connKey struct{ a, b netip.AddrPort }

// sockKey names one socket: its local end and its peer.
type sockKey struct{ local, remote netip.AddrPort }

// sockEnd is a socket and the state its last transition left it in.
type sockEnd struct {
	sockKey
	state tcpstate.State
}

// bookForget is how long a verdict is kept after it was given; an
// inferred TIME-WAIT may come up to tcp_fin_timeout (60 s by default)
// after the socket's previous event.
const (
	bookForget     = 2 * time.Minute
	bookSweepEvery = 4096
)

func newStateBook(nsfd int, ports []uint16) *stateBook {
	b := &stateBook{nsfd: nsfd, ports: ports, verdict: map[connKey]verdict{},
		loose: map[sockKey]tcpstate.State{}, marked: map[sockKey]bool{}}
	// Idle: a connection whose end the capture missed (dropped packets)
	// is let go after bookForget, as a verdict is.
	b.rec = &record.Builder{Done: b.handedOver, Idle: bookForget}
	return b
}

// norm makes ends comparable: v4-mapped addresses as v4, and a listener's
// missing peer (0.0.0.0:0, [::]:0, invalid) as the zero AddrPort.
func norm(ap netip.AddrPort) netip.AddrPort {
	if !ap.IsValid() || ap.Port() == 0 && ap.Addr().IsUnspecified() {
		return netip.AddrPort{}
	}
	return record.Unmap(ap)
}

func keyOf(x, y netip.AddrPort) connKey {
	x, y = norm(x), norm(y)
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return connKey{x, y}
}

// sawPacket hands a segment that crossed the captured interface (which is
// in the captured namespace) to the connection records.
func (b *stateBook) sawPacket(seg *capture.Segment) {
	b.rec.Add(seg)
	b.sweep(seg.Time)
}

// handedOver keeps the sockets of a connection the Builder is done with
// whose chain left them alive. Those of a connection let go while open
// (Expired) go on in loose, where their later transitions continue the
// chain and a CLOSE ends it.
func (b *stateBook) handedOver(c *record.Conn) {
	for i := range c.Sides {
		sd := &c.Sides[i]
		if !sd.Alive() {
			continue
		}
		sk := sockKey{sd.Addr, c.Sides[record.Peer(i)].Addr}
		if c.Expired {
			b.loose[sk] = sd.State
		} else {
			b.ended = append(b.ended, sockEnd{sk, sd.State})
		}
	}
}

// tracked reports whether t's connection has a record (its packets were
// captured).
func (b *stateBook) tracked(t *trace.Transition) bool {
	return t.Remote.Port() != 0 && b.rec.Lookup(t.Local, t.Remote) != nil
}

// lookup settles, with one socket-table dump, the connections of the
// transitions about to be printed that have neither packets nor a verdict:
// a socket this namespace has is ours. It runs only for those (a listener,
// another namespace's sockets): in a burst on the captured interface every
// connection has packets by then (cutoff waits for the packet path), and a
// dump per tick of a table with thousands of TIME-WAITs would slow the
// merge until the packet ring overflows. Sockets that were already there
// when the capture started were settled by seed.
func (b *stateBook) lookup(items []stamped) {
	want := map[connKey]bool{}
	for _, it := range items {
		if it.tr == nil {
			continue
		}
		if b.tracked(it.tr) {
			continue
		}
		k := keyFor(it.tr)
		if _, ok := b.verdict[k]; !ok {
			want[k] = true
		}
	}
	if len(want) == 0 {
		return
	}
	present, err := b.table()
	now := time.Now()
	for k := range want {
		b.verdict[k] = verdict{ours: err != nil || present[k], at: now}
	}
	b.sweep(now)
}

// seed marks the sockets the namespace has on our ports when the capture
// starts: a listener opened before and closed during the capture has no
// packets and is gone by the time its LISTEN → CLOSE could be looked up.
func (b *stateBook) seed() {
	present, err := b.table()
	if err != nil {
		return
	}
	now := time.Now()
	for k := range present {
		b.verdict[k] = verdict{ours: true, at: now}
	}
}

// keyFor is the connection of a transition. A socket reset by its closing
// listener (an unaccepted child) is destroyed with its peer port already
// zeroed (measured on 6.18: tcp_destroy_sock with dport 0), so a peer
// without a port stands for the listener at the same local end.
func keyFor(t *trace.Transition) connKey {
	if t.Remote.Port() == 0 {
		return keyOf(t.Local, netip.AddrPort{})
	}
	return keyOf(t.Local, t.Remote)
}

// ours reports whether t's socket lives in the captured namespace.
func (b *stateBook) ours(t *trace.Transition) bool {
	if b.tracked(t) {
		return true
	}
	v, ok := b.verdict[keyFor(t)]
	return !ok || v.ours
}

// note decides whether t is shown and what its line adds: a gap in its
// socket's chain, or (once events were lost) a first sight in mid-life.
func (b *stateBook) note(t *trace.Transition, lost uint64) (string, bool) {
	if t.Kind == trace.StateChange {
		if c, st, ok := b.rec.Transition(*t); ok {
			sd := &c.Sides[st.Side]
			return b.chainNote(sockKey{sd.Addr, c.Sides[record.Peer(st.Side)].Addr}, st, lost), true
		}
	}
	if !b.ours(t) {
		b.hidden++
		return "", false
	}
	if t.Kind != trace.StateChange || t.Inferred {
		return "", true // no chain: resets, destruction, and TIME-WAIT (inferred from the chain itself)
	}
	sk, st := b.looseChain(t)
	return b.chainNote(sk, st, lost), true
}

// looseChain follows the chain of a socket without a connection record
// and returns its key; the link is judged as record judges its own.
func (b *stateBook) looseChain(t *trace.Transition) (sockKey, record.State) {
	sk := sockKey{norm(t.Local), norm(t.Remote)}
	var sd record.Side
	if prev, seen := b.loose[sk]; seen {
		sd.Traced, sd.State = true, prev
	}
	st := record.State{From: t.From, To: t.To}
	sd.Chain(&st)
	if t.To == tcpstate.Close {
		delete(b.loose, sk)
	} else {
		b.loose[sk] = t.To
	}
	return sk, st
}

// chainNote is what a transition's line says about its socket's chain.
func (b *stateBook) chainNote(sk sockKey, st record.State, lost uint64) string {
	switch {
	case st.Gap:
		b.marked[sk] = true
		return fmt.Sprintf(" [states missing after %s: trace events lost]", st.Prev)
	case st.Midlife && lost > 0:
		b.marked[sk] = true
		return " [earlier states missing: trace events lost]"
	}
	return ""
}

// unfinished lists the sockets whose last transition left them alive but
// that the socket table no longer has: their last transitions were lost.
func (b *stateBook) unfinished(now time.Time) ([]string, error) {
	present, err := b.table()
	if err != nil {
		return nil, err
	}
	const most = 20
	var lines []string
	n := 0
	for _, e := range b.alive() {
		sk, st := e.sockKey, e.state
		if present[keyOf(sk.local, sk.remote)] {
			continue
		}
		n++
		b.marked[sk] = true
		if n <= most {
			lines = append(lines, fmt.Sprintf("%s %s.%d last seen %s (peer %s.%d): later states lost, the socket is gone",
				now.Format("15:04:05.000000"), sk.local.Addr(), sk.local.Port(), st, sk.remote.Addr(), sk.remote.Port()))
		}
	}
	if n > most {
		lines = append(lines, fmt.Sprintf("… and %d more sockets whose later states were lost", n-most))
	}
	return lines, nil
}

// alive lists the sockets whose last transition left them alive: those of
// the connections tracked, those handed over alive, and the loose ones.
func (b *stateBook) alive() []sockEnd {
	socks := append([]sockEnd(nil), b.ended...)
	b.rec.Each(func(c *record.Conn) {
		for i := range c.Sides {
			if sd := &c.Sides[i]; sd.Alive() {
				socks = append(socks, sockEnd{sockKey{sd.Addr, c.Sides[record.Peer(i)].Addr}, sd.State})
			}
		}
	})
	for sk, st := range b.loose {
		socks = append(socks, sockEnd{sk, st})
	}
	return socks
}

// incomplete counts the sockets whose lines said states are missing.
func (b *stateBook) incomplete() int { return len(b.marked) }

// sweep forgets, now and then, connections not seen for bookForget.
func (b *stateBook) sweep(now time.Time) {
	if b.inserts++; b.inserts < bookSweepEvery {
		return
	}
	b.inserts = 0
	for k, v := range b.verdict {
		if now.Sub(v.at) > bookForget {
			delete(b.verdict, k)
		}
	}
}

// table returns the connections of the captured namespace on our ports.
func (b *stateBook) table() (map[connKey]bool, error) {
	socks, err := sockdiag.List(sockdiag.Filter{Ports: b.ports, NetNS: b.nsfd})
	if err != nil {
		if b.lookErr == nil {
			b.lookErr = err
		}
		return nil, err
	}
	m := make(map[connKey]bool, len(socks))
	for _, s := range socks {
		m[keyOf(s.Local, s.Remote)] = true
	}
	return m, nil
}
