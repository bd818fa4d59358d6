package sockdiag

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/tcpstate"
)

// AlarmKind names a pattern in the socket table that points at a bug or a
// limit about to be hit.
type AlarmKind string

const (
	// AlarmCloseWaitGrowing: CLOSE-WAIT rose in every one of the last
	// intervals. Peers closed and the application never calls close (C29).
	AlarmCloseWaitGrowing AlarmKind = "close-wait-growing"
	// AlarmTimeWaitPorts: TIME-WAIT sockets come close to the number of
	// ephemeral ports (C28: the active closer holds TIME-WAIT).
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
}

func (a Alarm) String() string { return string(a.Kind) + ": " + a.Message }

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
}

func (c *AlarmConfig) withDefaults() AlarmConfig {
	d := AlarmConfig{Ephemeral: PortRange{32768, 60999}, GrowIntervals: 3, TimeWaitFraction: 0.8}
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
	return &Alarm{AlarmCloseWaitGrowing, fmt.Sprintf(
		"CLOSE-WAIT grew %s over the last %d intervals: peers sent their FIN and the application never calls close (C29)",
		strings.Join(counts, " → "), n)}
}

func timeWaitPorts(s Sample, cfg AlarmConfig) *Alarm {
	tw, size := s.Counts[tcpstate.TimeWait], cfg.Ephemeral.Size()
	if float64(tw) < cfg.TimeWaitFraction*float64(size) {
		return nil
	}
	return &Alarm{AlarmTimeWaitPorts, fmt.Sprintf(
		"TIME-WAIT %d = %d%% of the %d ephemeral ports (%d–%d): the side that closes first holds each port 60 s (C28); new connect() calls to the same peer may fail with EADDRNOTAVAIL",
		tw, tw*100/size, size, cfg.Ephemeral.Low, cfg.Ephemeral.High)}
}

// orphans fires only on orphans the kernel is retransmitting for: every
// close of a busy server leaves an orphan for a moment (LAST-ACK until the
// peer's last ACK), which is no finding.
func orphans(s Sample) *Alarm {
	if s.OrphansRetrying <= 0 {
		return nil
	}
	return &Alarm{AlarmOrphans, fmt.Sprintf(
		"%d orphaned socket(s) retransmitting: closed by the application, the kernel still resends their data or FIN (FIN-WAIT-1, CLOSING, LAST-ACK) and the peer does not acknowledge; after net.ipv4.tcp_orphan_retries, or past net.ipv4.tcp_max_orphans, they are reset and the data is lost", s.OrphansRetrying)}
}

func finWait2Orphans(s Sample) *Alarm {
	if s.OrphansFinWait2 <= 0 {
		return nil
	}
	return &Alarm{AlarmFinWait2Orphans, fmt.Sprintf(
		"%d FIN-WAIT-2 orphan(s): closed here and acknowledged, still waiting for the peer's FIN (is the peer stuck in CLOSE-WAIT?); dropped after net.ipv4.tcp_fin_timeout", s.OrphansFinWait2)}
}

func acceptQueueFull(l Listener) *Alarm {
	if !l.Full() {
		return nil
	}
	return &Alarm{AlarmAcceptQueueFull, fmt.Sprintf(
		"LISTEN %s accept queue %d/%d is full: the application does not accept() fast enough, so new handshakes are dropped and clients retry their SYN (C25)",
		l.Local, l.Queued, l.Backlog)}
}
