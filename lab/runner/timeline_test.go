package runner_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/runner"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

var (
	t0    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cliAP = netip.MustParseAddrPort("127.0.0.1:40000")
	srvAP = netip.MustParseAddrPort("127.0.0.1:9527")
	socks = []runner.SockRef{{Local: srvAP, Actor: "server"}, {Local: cliAP, Remote: srvAP, Actor: "client"}, {Local: srvAP, Remote: cliAP, Actor: "server"}}
	msAt  = func(ms float64) time.Time { return t0.Add(time.Duration(ms * 1e6)) }
	seg   = func(ms float64, from, to netip.AddrPort, f capture.Flags, seq, ack uint32, n int) capture.Segment {
		return capture.Segment{Time: msAt(ms), Proto: capture.TCP, Src: from, Dst: to, Flags: f, Seq: seq, Ack: ack, Len: n}
	}
)

// TestTimeline builds a timeline from a synthetic recording: the seed's
// experiment A reduced to its packets and one transition.
func TestTimeline(t *testing.T) {
	rec := &runner.Recording{
		Start: t0,
		Calls: []lab.Event{{T: 2 * time.Millisecond, Kind: lab.KindCall, Call: &lab.Call{Actor: "client", Op: "close", Result: "ok"}}},
		Segments: []capture.Segment{
			seg(3, srvAP, cliAP, capture.SYN|capture.ACK, 5000, 1001, 0),
			seg(1, cliAP, srvAP, capture.SYN, 1000, 0, 0),
			seg(4, cliAP, srvAP, capture.FIN|capture.ACK, 1001, 5001, 0),
			seg(5, cliAP, srvAP, capture.RST, 1002, 0, 0),
		},
		Transitions: []trace.Transition{
			{Time: msAt(5.5), Kind: trace.ResetReceived, Local: srvAP, Remote: cliAP, Skaddr: 7},
			{Time: msAt(6), Kind: trace.StateChange, Local: srvAP, Remote: cliAP, From: tcpstate.CloseWait, To: tcpstate.Close, Skaddr: 7},
		},
		Sockets: socks,
	}
	type row struct {
		T                     time.Duration
		Kind                  lab.Kind
		From, To, Flags, What string
		Seq, Ack              uint32
	}
	var got []row
	for _, e := range runner.Timeline(rec) {
		r := row{T: e.T, Kind: e.Kind}
		switch {
		case e.Packet != nil:
			r.From, r.To, r.Flags, r.Seq, r.Ack = e.Packet.From, e.Packet.To, e.Packet.Flags, e.Packet.Seq, e.Packet.Ack
		case e.Call != nil:
			r.What = e.Call.Actor + " " + e.Call.Op
		case e.State != nil:
			r.What = e.State.Actor + " " + e.State.To.String() + " reset " + e.State.Reset
		}
		got = append(got, r)
	}
	want := []row{
		{T: time.Millisecond, Kind: lab.KindPacket, From: "client", To: "server", Flags: "S"},
		{T: 2 * time.Millisecond, Kind: lab.KindCall, What: "client close"},
		{T: 3 * time.Millisecond, Kind: lab.KindPacket, From: "server", To: "client", Flags: "S.", Ack: 1},
		{T: 4 * time.Millisecond, Kind: lab.KindPacket, From: "client", To: "server", Flags: "F.", Seq: 1, Ack: 1},
		{T: 5 * time.Millisecond, Kind: lab.KindPacket, From: "client", To: "server", Flags: "R", Seq: 2},
		{T: 6 * time.Millisecond, Kind: lab.KindState, What: "server CLOSE reset received"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Timeline (-want +got):\n%s", diff)
	}
}

// TestConditions evaluates expectations on a synthetic timeline, with and
// without wire data: what needs packets is skipped, never guessed.
func TestConditions(t *testing.T) {
	evs := []lab.Event{
		{T: 1 * time.Millisecond, Kind: lab.KindPacket, Packet: &lab.Packet{From: "client", To: "server", Flags: "R"}},
		{T: 2 * time.Millisecond, Kind: lab.KindCall, Call: &lab.Call{Actor: "server", Op: "read", Result: "3", Bytes: 3}},
		{T: 3 * time.Millisecond, Kind: lab.KindCall, Call: &lab.Call{Actor: "server", Op: "read", Result: "ECONNRESET", Dur: 20 * time.Millisecond}},
		{T: 4 * time.Millisecond, Kind: lab.KindState, State: &lab.State{Actor: "server", To: tcpstate.Close}},
		{T: 5 * time.Millisecond, Kind: lab.KindSnapshot, Snapshot: &lab.Snapshot{Rows: []lab.SockRow{{Actor: "client", State: tcpstate.TimeWait, Expiry: 59000}}}},
	}
	tests := []struct {
		name      string
		cond      string
		wire      bool
		ok, known bool
	}{
		{"packet seen", "packet client>server R", true, true, true},
		{"packet prefix", "packet client>server R*", true, true, true},
		{"no packet", "no packet client>server F.", true, true, true},
		{"packet needs root", "packet client>server R", false, false, false},
		{"count", "count client>server R = 1", true, true, true},
		{"second call", "call server read#2 = ECONNRESET", false, true, true},
		{"not equal", "call server read#1 != EOF", false, true, true},
		{"bytes", "call server read#1 bytes = 3", false, true, true},
		{"duration", "call server read#2 dur > 10ms", false, true, true},
		{"missing call", "call server read#3 = EOF", false, false, true},
		{"state", "state server CLOSE", true, true, true},
		{"timewait timer", "timewait client > 55s", false, true, true},
		{"no timewait row", "timewait server > 55s", false, false, true},
		{"false decides", "call server read#1 = EOF and packet client>server R", false, false, true},
		{"unknown", "call server read#1 = 3 and packet client>server R", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, known, err := lab.EvalCond(tt.cond, evs, tt.wire)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([2]bool{tt.ok, tt.known}, [2]bool{ok, known}); diff != "" {
				t.Errorf("EvalCond(%q) [ok known] (-want +got):\n%s", tt.cond, diff)
			}
		})
	}
}

// TestTimelineResetAttribution uses the shapes the kernel's text trace
// really has: state changes carry no socket address (Skaddr 0), a received
// RST is traced just before the CLOSE it causes, and a sent RST just after
// its socket's CLOSE. Each reset must land on its own connection's state
// change, not on whichever state change comes next.
func TestTimelineResetAttribution(t *testing.T) {
	otherAP := netip.MustParseAddrPort("127.0.0.1:40001")
	rec := &runner.Recording{
		Start: t0,
		Transitions: []trace.Transition{
			// client aborts: CLOSE first, then tcp_send_reset.
			{Time: msAt(1), Kind: trace.StateChange, Local: cliAP, Remote: srvAP, From: tcpstate.Established, To: tcpstate.Close},
			{Time: msAt(1.01), Kind: trace.ResetSent, Local: cliAP, Remote: srvAP, Skaddr: 0x99},
			// server receives it: tcp_receive_reset, then an unrelated
			// socket changes state, then the server's CLOSE.
			{Time: msAt(1.02), Kind: trace.ResetReceived, Local: srvAP, Remote: cliAP},
			{Time: msAt(1.03), Kind: trace.StateChange, Local: otherAP, Remote: srvAP, From: tcpstate.Established, To: tcpstate.FinWait1},
			{Time: msAt(1.04), Kind: trace.StateChange, Local: srvAP, Remote: cliAP, From: tcpstate.Established, To: tcpstate.Close},
			// an RST for no socket at all becomes a note.
			{Time: msAt(2), Kind: trace.ResetSent, Local: srvAP, Remote: cliAP},
			// a listener answering a late segment (the trace gives the
			// listener's own addresses: dest 0.0.0.0:0) becomes a note too.
			{Time: msAt(3), Kind: trace.ResetSent, Local: srvAP, Remote: netip.MustParseAddrPort("0.0.0.0:0"), Skaddr: 0x77, From: tcpstate.Listen, Reason: "TCP_FLAGS"},
		},
		Sockets: append(socks, runner.SockRef{Local: otherAP, Remote: srvAP, Actor: "c2"}),
	}
	var got []string
	for _, e := range runner.Timeline(rec) {
		switch {
		case e.State != nil:
			got = append(got, e.State.Actor+" "+e.State.To.String()+" reset="+e.State.Reset)
		case e.Note != nil:
			got = append(got, "note "+e.Note.Text)
		}
	}
	want := []string{
		"client CLOSE reset=sent",
		"c2 FIN-WAIT-1 reset=",
		"server CLOSE reset=received",
		"note kernel sent RST (no socket)",
		"note listener sent RST (segment of no connection)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reset attribution (-want +got):\n%s", diff)
	}
}
