package report_test

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
)

var hitLine = regexp.MustCompile(`<line class="hit" x1="[-0-9.]+" y1="([-0-9.]+)" x2="[-0-9.]+" y2="([-0-9.]+)"/>`)

// TestArrowSlantsToArrival: on a wire with a round trip a packet event
// says when it arrived, and its arrow ends at the row of that moment; a
// packet with no arrival time (loopback) stays level.
func TestArrowSlantsToArrival(t *testing.T) {
	ms := time.Millisecond
	r := lab.Result{Name: "rtt", Passed: true, Actors: []string{"client", "server"}, Events: []lab.Event{
		{T: 0, Kind: lab.KindPacket, Packet: &lab.Packet{From: "client", To: "server", Proto: "tcp", Flags: "S", Arrived: 20 * ms}},
		{T: 20 * ms, Kind: lab.KindState, State: &lab.State{Actor: "server", To: 3}},
		{T: 40 * ms, Kind: lab.KindPacket, Packet: &lab.Packet{From: "server", To: "client", Proto: "tcp", Flags: "S."}},
	}}
	var b bytes.Buffer
	if err := report.WriteSVG(&b, r, nil); err != nil {
		t.Fatal(err)
	}
	m := hitLine.FindAllStringSubmatch(b.String(), -1)
	if len(m) != 2 {
		t.Fatalf("%d arrows, want 2:\n%s", len(m), b.String())
	}
	y := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	if y1, y2 := y(m[0][1]), y(m[0][2]); y2 <= y1 {
		t.Errorf("the SYN that arrived 20 ms later is level: y1 %v, y2 %v", y1, y2)
	}
	if y1, y2 := y(m[1][1]), y(m[1][2]); y2 != y1 {
		t.Errorf("a packet without an arrival time slants: y1 %v, y2 %v", y1, y2)
	}
}
