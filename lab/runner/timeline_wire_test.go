package runner_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab/runner"
	"github.com/tcpteardown/teardown/lab/wire"
)

// TestTimelineWire: the wire's events become packet events with their
// marks; a Delivered event gives the delayed packet its arrival instead of
// becoming a packet of its own.
func TestTimelineWire(t *testing.T) {
	a, b := wire.Addrs(false)
	cli, srv := netip.AddrPortFrom(a, 40000), netip.AddrPortFrom(b, 9527)
	mk := func(ms float64, act wire.Action, s capture.Segment) wire.Event {
		s.Raw = make([]byte, 54)
		return wire.Event{Time: msAt(ms), Action: act, Seg: s}
	}
	data := mk(2, wire.Delayed, seg(2, cli, srv, capture.PSH|capture.ACK, 1001, 5001, 5))
	delivered := data
	delivered.Time, delivered.Action = msAt(52), wire.Delivered
	rec := &runner.Recording{
		Start:   t0,
		Sockets: []runner.SockRef{{Local: srv, Actor: "server"}, {Local: cli, Remote: srv, Actor: "client"}, {Local: srv, Remote: cli, Actor: "server"}},
		Wire: []wire.Event{
			mk(1, wire.Forwarded, seg(1, cli, srv, capture.SYN, 1000, 0, 0)),
			data,
			mk(3, wire.Dropped, seg(3, cli, srv, capture.FIN|capture.ACK, 1006, 5001, 0)),
			mk(4, wire.Injected, seg(4, srv, cli, capture.RST, 5001, 0, 0)),
			delivered,
			{Time: msAt(5), Action: wire.Forwarded}, // undecodable: no actor's packet
		},
	}
	var got []string
	for _, e := range runner.Timeline(rec) {
		p := e.Packet
		got = append(got, fmt.Sprintf("%v %s>%s %s seq %d %s arrived %v", e.T, p.From, p.To, p.Flags, p.Seq, p.Wire, p.Arrived))
	}
	want := []string{
		"1ms client>server S seq 0  arrived 0s",
		"2ms client>server P. seq 1 delayed arrived 52ms",
		"3ms client>server F. seq 6 dropped arrived 0s",
		"4ms server>client R seq 0 injected arrived 0s", // the first segment of its direction,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// TestTimelineWireRTT: on a link with a round trip, a forwarded packet
// arrives half of it after it reached the wire; dropped and crafted ones
// get no arrival.
func TestTimelineWireRTT(t *testing.T) {
	a, b := wire.Addrs(false)
	cli, srv := netip.AddrPortFrom(a, 40000), netip.AddrPortFrom(b, 9527)
	ev := func(ms float64, act wire.Action, f capture.Flags) wire.Event {
		s := seg(ms, cli, srv, f, 1000, 0, 0)
		s.Raw = make([]byte, 54)
		return wire.Event{Time: msAt(ms), Action: act, Seg: s}
	}
	rec := &runner.Recording{Start: t0, OneWay: 20 * time.Millisecond, Wire: []wire.Event{
		ev(1, wire.Forwarded, capture.SYN), ev(2, wire.Dropped, capture.FIN|capture.ACK), ev(3, wire.Injected, capture.RST),
	}}
	var got []time.Duration
	for _, e := range runner.Timeline(rec) {
		got = append(got, e.Packet.Arrived)
	}
	if diff := cmp.Diff([]time.Duration{21 * time.Millisecond, 0, 0}, got); diff != "" {
		t.Errorf("arrivals (-want +got):\n%s", diff)
	}
}
