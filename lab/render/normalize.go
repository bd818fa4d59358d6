package render

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/tcpteardown/teardown/lab"
)

// What changes from one run of a scenario to the next, and how
// Options.NormalizeTimes hides it:
//
//   - times: the time column becomes the row's rank;
//   - durations, in calls and in computed texts ("first at 301.2ms"): rounded
//     to 0.1 s — the scenarios' delays are multiples of 100 ms, so a measured
//     figure sits mid-bucket and jitter does not move it;
//   - ports (ephemeral, or chosen per run so scenarios run in parallel):
//     "127.0.0.1:40713" becomes "127.0.0.1:*", "port 40713" "port *";
//   - socket timers' remaining time: dropped;
//   - the interleaving of concurrent actors: see canonical.
//
// Sequence numbers need nothing: the lab records them relative to each
// side's ISN, as tcpdump prints them.

var (
	addrPort = regexp.MustCompile(`((?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-fA-F:.%a-z]+\]|::1):\d+`)
	portWord = regexp.MustCompile(`\b(port) \d+`)
	measured = regexp.MustCompile(`(\d+(?:\.\d+)?) ?(µs|us|ms|s)\b`)
)

// clean makes free text safe to print and, when normalising, hides ports.
func (o Options) clean(s string) string {
	s = sanitize(s)
	if o.NormalizeTimes {
		s = addrPort.ReplaceAllString(s, "$1:*")
		s = portWord.ReplaceAllString(s, "$1 *")
	}
	return s
}

// cleanMeasured is clean for texts the runner computed from the events
// (observations, what an expectation got, notes): they may quote measured
// times, which normalising rounds.
func (o Options) cleanMeasured(s string) string {
	s = o.clean(s)
	switch {
	case o.NormalizeTimes && o.HideDurations:
		s = measured.ReplaceAllString(s, "~t")
	case o.NormalizeTimes:
		s = measured.ReplaceAllStringFunc(s, roundMeasured)
	}
	return s
}

// roundMeasured turns "301.2ms" into "~0.3 s".
func roundMeasured(m string) string {
	sub := measured.FindStringSubmatch(m)
	v, err := strconv.ParseFloat(sub[1], 64)
	if err != nil {
		return m
	}
	unit := map[string]time.Duration{"µs": time.Microsecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[sub[2]]
	return roundDuration(time.Duration(v * float64(unit)))
}

func roundDuration(d time.Duration) string {
	return fmt.Sprintf("~%.1f s", d.Round(100*time.Millisecond).Seconds())
}

// clusterGap separates the moments of a scenario saved without Moments. Its
// steps are some 100 ms apart, the events one step causes (a call, its
// segments, the state changes they trigger) well under a millisecond
// apart; a delayed ACK comes 40 ms later (TCP_DELACK_MIN) and starts a
// moment of its own. On a loaded machine an actor can run 20 ms late and
// split a moment: the runner records where moments begin (the ends of
// scripted sleeps), and canonical uses those when it has them.
const clusterGap = 20 * time.Millisecond

// canonical orders events for normalised output. Within one moment the
// kernel's events (segments, state changes) keep their order — it is
// causal — but calls are stamped by each actor's goroutine when they
// return, so the interleaving of two actors' calls with each other and
// with the wire changes from run to run. They are moved to the end of
// their moment, in lane order, then notes and snapshots.
func canonical(events []lab.Event, actors []string, moments []float64) []lab.Event {
	lane := map[string]int{}
	for i, a := range actors {
		lane[a] = i
	}
	out := append([]lab.Event(nil), events...)
	for start := 0; start < len(out); {
		end := start + 1
		for end < len(out) && sameMoment(out[end-1].T, out[end].T, moments) {
			end++
		}
		moment := out[start:end]
		sort.SliceStable(moment, func(i, j int) bool { return rank(moment[i], lane) < rank(moment[j], lane) })
		start = end
	}
	return out
}

// sameMoment reports whether events at a and b (a ≤ b) belong to one
// moment: no scripted sleep ended between them, or, without that record,
// they are at most clusterGap apart.
func sameMoment(a, b time.Duration, moments []float64) bool {
	if moments == nil {
		return b-a <= clusterGap
	}
	for _, m := range moments {
		if t := time.Duration(m * float64(time.Millisecond)); a < t && t <= b {
			return false
		}
	}
	return true
}

// rank sorts a moment: kernel events, then each lane's calls, then the
// runner's notes and snapshots.
func rank(e lab.Event, lane map[string]int) int {
	switch {
	case e.Packet != nil, e.State != nil:
		return 0
	case e.Call != nil:
		return 1 + lane[e.Call.Actor]
	}
	return 1 + len(lane)
}
