package report_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/tcpstate"
)

// A run's events become one SVG: an arrow per packet, a box per call, a
// label per state change. (`teardown lab -json` saves runs; labreport or
// `teardown lab -html FILE` render them.)
func ExampleWriteSVG() {
	ms := time.Millisecond
	r := lab.Result{Name: "fin", Actors: []string{"client", "server"}, Events: []lab.Event{
		{T: 0, Kind: lab.KindCall, Call: &lab.Call{Actor: "client", Op: "close", Result: "ok"}},
		{T: ms / 10, Kind: lab.KindState, State: &lab.State{Actor: "client", From: tcpstate.Established, To: tcpstate.FinWait1}},
		{T: ms / 5, Kind: lab.KindPacket, Packet: &lab.Packet{From: "client", To: "server", Proto: "tcp", Flags: "F.", Seq: 4, Ack: 1}},
		{T: 300 * ms, Kind: lab.KindPacket, Packet: &lab.Packet{From: "server", To: "client", Proto: "tcp", Flags: ".", Ack: 5}},
	}}
	var b bytes.Buffer
	if err := report.WriteSVG(&b, r, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	svg := b.String()
	fmt.Println(`packets:`, strings.Count(svg, `class="packet `))
	fmt.Println(`calls:`, strings.Count(svg, `class="call `))
	fmt.Println(`states:`, strings.Count(svg, `class="state`))
	fmt.Println(`breaks:`, strings.Count(svg, `class="break"`))
	fmt.Println(strings.Contains(svg, "[F.] seq 4 ack 1"), report.SVGName(r))
	// Output:
	// packets: 2
	// calls: 1
	// states: 1
	// breaks: 1
	// true fin.svg
}
