package sockdiag_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// closeWaits returns one sample per count, one second apart.
func closeWaits(n ...int) []sockdiag.Sample {
	var out []sockdiag.Sample
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range n {
		out = append(out, sockdiag.Sample{At: t0.Add(time.Duration(i) * time.Second), Counts: map[tcpstate.State]int{tcpstate.CloseWait: c},
			AgesKnown: true, CloseWaitAges: make([]time.Duration, c)})
	}
	return out
}

func one(s sockdiag.Sample) []sockdiag.Sample { return []sockdiag.Sample{s} }

func TestAlarms(t *testing.T) {
	lAddr := netip.MustParseAddrPort("127.0.0.1:9527")
	small := &sockdiag.AlarmConfig{Ephemeral: sockdiag.PortRange{Low: 50000, High: 50099}} // 100 ports
	tests := []struct {
		name   string
		series []sockdiag.Sample
		cfg    *sockdiag.AlarmConfig
		want   []sockdiag.AlarmKind
		// words the message must contain (explanations, numbers)
		says []string
	}{
		{name: "no samples", series: nil},
		{name: "quiet table", series: closeWaits(0, 0, 0, 0)},
		{name: "close-wait grows in every interval", series: closeWaits(1, 3, 4, 9),
			want: []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitGrowing}, says: []string{"1 → 3 → 4 → 9", "C29"}},
		{name: "only the last intervals count", series: closeWaits(9, 0, 1, 2, 3),
			want: []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitGrowing}, says: []string{"0 → 1 → 2 → 3"}},
		{name: "close-wait that stalls is no trend", series: closeWaits(1, 2, 2, 3)},
		{name: "close-wait that falls is no trend", series: closeWaits(1, 5, 4, 6)},
		{name: "too few samples for a trend", series: closeWaits(1, 2, 3)},
		{name: "shorter trend when configured", series: closeWaits(1, 2, 3), cfg: &sockdiag.AlarmConfig{GrowIntervals: 2},
			want: []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitGrowing}},
		{name: "time-wait near the port range", cfg: small,
			series: one(timeWaits(map[string][]uint16{"10.0.0.5:80": portsFrom(50000, 85)})),
			want:   []sockdiag.AlarmKind{sockdiag.AlarmTimeWaitPorts}, says: []string{"85 TIME-WAIT", "10.0.0.5:80", "85%", "100 ephemeral ports", "EADDRNOTAVAIL"}},
		{name: "time-wait well below the range", cfg: small,
			series: one(timeWaits(map[string][]uint16{"10.0.0.5:80": portsFrom(50000, 79)}))},
		{name: "time-wait spread over peers is no alarm: each peer has its own ports", cfg: small,
			series: one(timeWaits(map[string][]uint16{"10.0.0.5:80": portsFrom(50000, 50), "10.0.0.5:443": portsFrom(50000, 50)}))},
		// A server's TIME-WAITs hold its own port (80), not ephemeral ones:
		// 36,291 of them on nginx raised a false alarm (issue 11).
		{name: "server-side time-wait is no alarm", cfg: small,
			series: one(serverTimeWaits(8080, 30000))},
		{name: "only ephemeral local ports count", cfg: small,
			series: one(timeWaits(map[string][]uint16{"10.0.0.5:80": append(portsFrom(50000, 70), portsFrom(1000, 30)...)}))},
		{name: "time-wait against Linux's default range",
			series: one(timeWaits(map[string][]uint16{"127.0.0.1:9527": portsFrom(32768, 23000)})),
			want:   []sockdiag.AlarmKind{sockdiag.AlarmTimeWaitPorts}, says: []string{"28232"}},
		{name: "close-wait that stays is a leak", series: []sockdiag.Sample{{Counts: map[tcpstate.State]int{tcpstate.CloseWait: 2},
			AgesKnown: true, CloseWaitAges: []time.Duration{3 * time.Second, 25 * time.Second}}},
			want: []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitOld}, says: []string{"1 CLOSE-WAIT socket older than 10s", "oldest 25s"}},
		{name: "young close-wait is no leak", series: []sockdiag.Sample{{Counts: map[tcpstate.State]int{tcpstate.CloseWait: 2},
			AgesKnown: true, CloseWaitAges: []time.Duration{3 * time.Second, 9 * time.Second}}}},
		{name: "close-wait age configurable", cfg: &sockdiag.AlarmConfig{CloseWaitAge: 2 * time.Second},
			series: []sockdiag.Sample{{Counts: map[tcpstate.State]int{tcpstate.CloseWait: 1}, AgesKnown: true, CloseWaitAges: []time.Duration{3 * time.Second}}},
			want:   []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitOld}},
		{name: "close-wait of unknown age is a warning", series: one(sockdiag.Sample{Counts: map[tcpstate.State]int{tcpstate.CloseWait: 50}}),
			want: []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitOld}, says: []string{"50 CLOSE-WAIT sockets (age unknown)"}},
		{name: "orphans retransmitting", series: one(sockdiag.Sample{Orphans: 2, OrphansRetrying: 2}),
			want: []sockdiag.AlarmKind{sockdiag.AlarmOrphans}, says: []string{"2 orphaned socket(s) retransmitting"}},
		{name: "orphans of a busy server, not retransmitting", series: one(sockdiag.Sample{Orphans: 7})},
		{name: "FIN-WAIT-2 orphans apart from the others", series: one(sockdiag.Sample{Orphans: 5, OrphansFinWait2: 3, OrphansRetrying: 2}),
			want: []sockdiag.AlarmKind{sockdiag.AlarmOrphans, sockdiag.AlarmFinWait2Orphans}, says: []string{"2 orphaned", "3 FIN-WAIT-2", "CLOSE-WAIT"}},
		{name: "accept queue full", series: one(sockdiag.Sample{Listeners: []sockdiag.Listener{{Local: lAddr, Queued: 129, Backlog: 128}}}),
			want: []sockdiag.AlarmKind{sockdiag.AlarmAcceptQueueFull}, says: []string{"127.0.0.1:9527", "129/128", "C25"}},
		{name: "accept queue at its backlog", series: one(sockdiag.Sample{Listeners: []sockdiag.Listener{{Local: lAddr, Queued: 4, Backlog: 4}}}),
			want: []sockdiag.AlarmKind{sockdiag.AlarmAcceptQueueFull}},
		{name: "accept queue with room", series: one(sockdiag.Sample{Listeners: []sockdiag.Listener{{Local: lAddr, Queued: 3, Backlog: 4}}})},
		{name: "empty queue of a zero backlog", series: one(sockdiag.Sample{Listeners: []sockdiag.Listener{{Local: lAddr, Backlog: 0}}})},
		{name: "everything at once",
			series: append(closeWaits(0, 1, 2), sockdiag.Sample{
				Counts:          map[tcpstate.State]int{tcpstate.CloseWait: 3, tcpstate.TimeWait: 90},
				TimeWaitPorts:   timeWaits(map[string][]uint16{"127.0.0.1:9527": portsFrom(50000, 90)}).TimeWaitPorts,
				AgesKnown:       true,
				CloseWaitAges:   make([]time.Duration, 3),
				Orphans:         1,
				OrphansRetrying: 1,
				Listeners:       []sockdiag.Listener{{Local: lAddr, Queued: 5, Backlog: 4}},
			}),
			cfg: small,
			want: []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitGrowing, sockdiag.AlarmTimeWaitPorts,
				sockdiag.AlarmOrphans, sockdiag.AlarmAcceptQueueFull}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alarms := sockdiag.Alarms(tt.series, tt.cfg)
			var kinds []sockdiag.AlarmKind
			var text []string
			for _, a := range alarms {
				kinds = append(kinds, a.Kind)
				text = append(text, a.Message)
				if strings.Contains(a.Message, "\n") {
					t.Errorf("%s: message is not one line: %q", a.Kind, a.Message)
				}
			}
			if diff := gocmp.Diff(tt.want, kinds); diff != "" {
				t.Errorf("alarm kinds (-want +got):\n%s", diff)
			}
			all := strings.Join(text, " | ")
			for _, w := range tt.says {
				if !strings.Contains(all, w) {
					t.Errorf("messages %q do not say %q", all, w)
				}
			}
		})
	}
}

// timeWaits is a sample whose TIME-WAIT sockets go to the given peers from
// the given local ports.
func timeWaits(peers map[string][]uint16) sockdiag.Sample {
	s := sockdiag.Sample{Counts: map[tcpstate.State]int{}, TimeWaitPorts: map[netip.AddrPort][]uint16{}}
	for p, ports := range peers {
		s.TimeWaitPorts[netip.MustParseAddrPort(p)] = ports
		s.Counts[tcpstate.TimeWait] += len(ports)
	}
	return s
}

// serverTimeWaits is n TIME-WAITs of a server on port: each toward its own
// client (remote port from the range), all from the server's local port.
func serverTimeWaits(port uint16, n int) sockdiag.Sample {
	s := sockdiag.Sample{Counts: map[tcpstate.State]int{tcpstate.TimeWait: n}, TimeWaitPorts: map[netip.AddrPort][]uint16{}}
	for i := range n {
		peer := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(50000+i%100))
		s.TimeWaitPorts[peer] = append(s.TimeWaitPorts[peer], port)
	}
	return s
}

func portsFrom(low uint16, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = low + uint16(i)
	}
	return out
}

// TestSummarize checks what a Sample keeps of the rows.
func TestSummarize(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:9527")
	b := netip.MustParseAddrPort("127.0.0.1:40000")
	rows := []sockdiag.Socket{
		{State: tcpstate.Established, Local: a, Remote: b, Inode: 1},
		{State: tcpstate.FinWait1, Local: b, Remote: a, Orphan: true},
		{State: tcpstate.LastAck, Local: b, Remote: a, Orphan: true, Timer: sockdiag.TimerOn, Retrans: 2},
		{State: tcpstate.LastAck, Local: a, Remote: b, Orphan: true, Timer: sockdiag.TimerOn},
		{State: tcpstate.FinWait2, Local: b, Remote: a, Orphan: true},
		{State: tcpstate.TimeWait, Local: b, Remote: a},
		{State: tcpstate.Listen, Local: a, RecvQ: 2, SendQ: 128, Inode: 2},
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := sockdiag.Sample{
		At: at,
		Counts: map[tcpstate.State]int{tcpstate.Established: 1, tcpstate.FinWait1: 1, tcpstate.FinWait2: 1,
			tcpstate.LastAck: 2, tcpstate.TimeWait: 1, tcpstate.Listen: 1},
		Listeners:       []sockdiag.Listener{{Local: a, Queued: 2, Backlog: 128}},
		Orphans:         4,
		OrphansFinWait2: 1,
		OrphansRetrying: 1,
		TimeWaitPorts:   map[netip.AddrPort][]uint16{a: {40000}},
	}
	if diff := gocmp.Diff(want, sockdiag.Summarize(at, rows), addrPortEqual); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
}
