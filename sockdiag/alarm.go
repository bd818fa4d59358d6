package sockdiag

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// AlarmKind names a pattern in the socket table that points at a bug or a
// limit about to be hit.
type AlarmKind string

const (
	// AlarmCloseWaitGrowing: CLOSE-WAIT rose in every one of the last
	// intervals. Peers closed and the application never calls close (C29).
	AlarmCloseWaitGrowing AlarmKind = "close-wait-growing"
	// AlarmCloseWaitOld: CLOSE-WAIT sockets older than
	// AlarmConfig.CloseWaitAge: a standing leak does not grow, it stays.
	// With a single sample (watch -once) ages are unknown and any
	// CLOSE-WAIT socket is reported as a warning.
	AlarmCloseWaitOld AlarmKind = "close-wait-old"
	// AlarmTimeWaitPorts: the TIME-WAIT sockets that hold ephemeral local
	// ports toward one peer come close to the size of the range (C28: the
	// active closer holds TIME-WAIT).
	AlarmTimeWaitPorts AlarmKind = "time-wait-ports"
	// AlarmOrphans: sockets closed by their application that the kernel
	// still works on (FIN-WAIT-1, CLOSING, LAST-ACK) and whose peer has
	// stopped acknowledging: their retransmission or probe timer fired.
	AlarmOrphans AlarmKind = "orphans"
	// AlarmFinWait2Orphans: closed sockets waiting for a FIN the peer does
	// not send (the peer is likely stuck in CLOSE-WAIT).
	AlarmFinWait2Orphans AlarmKind = "fin-wait-2-orphans"
	// AlarmAcceptQueueFull: a listener's accept queue is full (C25).
	AlarmAcceptQueueFull AlarmKind = "accept-queue-full"
)

// Alarm is one finding with a one-line explanation.
type Alarm struct {
	Kind    AlarmKind `json:"kind"`
	Message string    `json:"message"`
	// Warning marks a finding that may be harmless (not enough history to
	// tell); watch prints it as WARNING rather than ALARM.
	Warning bool `json:"warning,omitempty"`
}

func (a Alarm) String() string { return string(a.Kind) + ": " + a.Message }

// Label is how watch prefixes the alarm: ALARM or WARNING.
func (a Alarm) Label() string {
	if a.Warning {
		return "WARNING"
	}
	return "ALARM"
}

// AlarmConfig tunes Alarms; nil means the defaults.
type AlarmConfig struct {
	// Ephemeral is the ephemeral port range; zero means Linux's default
	// 32768–60999.
	Ephemeral PortRange
	// GrowIntervals is how many consecutive intervals CLOSE-WAIT must grow
	// in before it is called a leak (default 3).
	GrowIntervals int
	// TimeWaitFraction of the ephemeral ports held by TIME-WAIT sockets
	// raises the alarm (default 0.8).
	TimeWaitFraction float64
	// CloseWaitAge: a CLOSE-WAIT socket older than this is a leak
	// (default 10 s; a server answers and closes in far less).
	CloseWaitAge time.Duration
}

func (c *AlarmConfig) withDefaults() AlarmConfig {
	d := AlarmConfig{Ephemeral: PortRange{32768, 60999}, GrowIntervals: 3, TimeWaitFraction: 0.8, CloseWaitAge: 10 * time.Second}
	if c == nil {
		return d
	}
	if c.Ephemeral.Low != 0 {
		d.Ephemeral = c.Ephemeral
	}
	if c.GrowIntervals > 0 {
		d.GrowIntervals = c.GrowIntervals
	}
	if c.TimeWaitFraction > 0 {
		d.TimeWaitFraction = c.TimeWaitFraction
	}
	if c.CloseWaitAge > 0 {
		d.CloseWaitAge = c.CloseWaitAge
	}
	return d
}

// Alarms looks at a series of samples, oldest first, and returns what is
// wrong now. Only the CLOSE-WAIT trend needs history; the other alarms read
// the latest sample, so a single sample (watch -once) already gets them.
func Alarms(series []Sample, c *AlarmConfig) []Alarm {
	if len(series) == 0 {
		return nil
	}
	cfg := c.withDefaults()
	last := series[len(series)-1]
	var out []Alarm
	out = appendIf(out, closeWaitGrowing(series, cfg.GrowIntervals))
	out = appendIf(out, closeWaitOld(last, cfg.CloseWaitAge))
	out = appendIf(out, timeWaitPorts(last, cfg))
	out = appendIf(out, orphans(last))
	out = appendIf(out, finWait2Orphans(last))
	for _, l := range last.Listeners {
		out = appendIf(out, acceptQueueFull(l))
	}
	return out
}

func appendIf(out []Alarm, a *Alarm) []Alarm {
	if a == nil {
		return out
	}
	return append(out, *a)
}

// closeWaitGrowing wants a strict rise in each of the last n intervals: a
// busy server has CLOSE-WAIT sockets for a moment, only a leak makes the
// count climb steadily (C29).
func closeWaitGrowing(series []Sample, n int) *Alarm {
	if len(series) < n+1 {
		return nil
	}
	win := series[len(series)-n-1:]
	counts := make([]string, len(win))
	for i, s := range win {
		counts[i] = fmt.Sprint(s.Counts[tcpstate.CloseWait])
		if i > 0 && s.Counts[tcpstate.CloseWait] <= win[i-1].Counts[tcpstate.CloseWait] {
			return nil
		}
	}
	return &Alarm{Kind: AlarmCloseWaitGrowing, Message: fmt.Sprintf(
		"CLOSE-WAIT grew %s over the last %d intervals: peers sent their FIN and the application never calls close (C29)",
		strings.Join(counts, " → "), n)}
}

// closeWaitOld finds the leak that does not grow: sockets that stay in
// CLOSE-WAIT. Their peer closed long ago and the application still holds
// them (C29); each one keeps a descriptor and its buffers forever.
func closeWaitOld(s Sample, limit time.Duration) *Alarm {
	n := s.Counts[tcpstate.CloseWait]
	if n == 0 {
		return nil
	}
	if !s.AgesKnown {
		return &Alarm{Kind: AlarmCloseWaitOld, Warning: true, Message: fmt.Sprintf(
			"%d CLOSE-WAIT socket%s (age unknown): watch over time to tell a leak (C29) from a socket about to close",
			n, plural(n))}
	}
	old := 0
	for _, d := range s.CloseWaitAges {
		if d >= limit {
			old++
		}
	}
	if old == 0 {
		return nil
	}
	return &Alarm{Kind: AlarmCloseWaitOld, Message: fmt.Sprintf(
		"%d CLOSE-WAIT socket%s older than %s (oldest %s): the peer closed, the application never calls close (C29)",
		old, plural(old), limit, s.OldestCloseWait().Round(time.Second))}
}

// timeWaitPorts counts, per peer, the TIME-WAIT sockets whose local port
// is in the ephemeral range: connect() toward that peer cannot pick those
// ports until their TIME-WAIT ends (60 s, C28). The peer with the most is
// reported. Server-side TIME-WAITs (local port = the listening port) and
// ports outside the range compete for nothing.
func timeWaitPorts(s Sample, cfg AlarmConfig) *Alarm {
	peer, n := busiestPeer(s.TimeWaitPorts, cfg.Ephemeral)
	size := cfg.Ephemeral.Size()
	if n == 0 || float64(n) < cfg.TimeWaitFraction*float64(size) {
		return nil
	}
	return &Alarm{Kind: AlarmTimeWaitPorts, Message: fmt.Sprintf(
		"%d TIME-WAIT sockets toward %s hold %d%% of the %d ephemeral ports (%d–%d): the side that closes first keeps each 60 s (C28); connect() to it may fail with EADDRNOTAVAIL",
		n, peer, n*100/size, size, cfg.Ephemeral.Low, cfg.Ephemeral.High)}
}

func busiestPeer(m map[netip.AddrPort][]uint16, r PortRange) (netip.AddrPort, int) {
	var best netip.AddrPort
	most := 0
	for peer, ports := range m {
		n := 0
		for _, p := range ports {
			if p >= r.Low && p <= r.High {
				n++
			}
		}
		if n > most || n == most && n > 0 && peer.Compare(best) < 0 {
			best, most = peer, n
		}
	}
	return best, most
}

// orphans fires only on orphans the kernel is retransmitting for: every
// close of a busy server leaves an orphan for a moment (LAST-ACK until the
// peer's last ACK), which is no finding.
func orphans(s Sample) *Alarm {
	if s.OrphansRetrying <= 0 {
		return nil
	}
	return &Alarm{Kind: AlarmOrphans, Message: fmt.Sprintf(
		"%d orphaned socket(s) retransmitting: closed by the application, the kernel still resends their data or FIN (FIN-WAIT-1, CLOSING, LAST-ACK) and the peer does not acknowledge; after net.ipv4.tcp_orphan_retries, or past net.ipv4.tcp_max_orphans, they are reset and the data is lost", s.OrphansRetrying)}
}

func finWait2Orphans(s Sample) *Alarm {
	if s.OrphansFinWait2 <= 0 {
		return nil
	}
	return &Alarm{Kind: AlarmFinWait2Orphans, Message: fmt.Sprintf(
		"%d FIN-WAIT-2 orphan(s): closed here and acknowledged, still waiting for the peer's FIN (is the peer stuck in CLOSE-WAIT?); dropped after net.ipv4.tcp_fin_timeout", s.OrphansFinWait2)}
}

func acceptQueueFull(l Listener) *Alarm {
	if !l.Full() {
		return nil
	}
	return &Alarm{Kind: AlarmAcceptQueueFull, Message: fmt.Sprintf(
		"LISTEN %s accept queue %d/%d is full: the application does not accept() fast enough, so new handshakes are dropped and clients retry their SYN (C25)",
		l.Local, l.Queued, l.Backlog)}
}
