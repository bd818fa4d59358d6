package render_test

import (
	"os"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
	"github.com/tcpteardown/teardown/tcpstate"
)

// A client that closes while the server still writes: the late data is
// answered by a reset (claim C04). The diagram is drawn at 72 columns.
func ExampleDiagram() {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	r := lab.Result{
		Name: "tiny", Claims: []string{"C04"}, Passed: true, Actors: []string{"client", "server"},
		Events: []lab.Event{
			{T: ms(0), Call: &lab.Call{Actor: "client", Op: "close", Result: "ok"}},
			{T: ms(0.02), State: &lab.State{Actor: "client", From: tcpstate.Established, To: tcpstate.FinWait1}},
			{T: ms(0.03), Packet: &lab.Packet{From: "client", To: "server", Flags: "F.", Seq: 1, Ack: 1}},
			{T: ms(0.05), Packet: &lab.Packet{From: "server", To: "client", Flags: ".", Seq: 1, Ack: 2}},
			{T: ms(200), Call: &lab.Call{Actor: "server", Op: "write", Args: `"late"`, Result: "4"}},
			{T: ms(200.02), Packet: &lab.Packet{From: "server", To: "client", Flags: "P.", Seq: 1, Ack: 2, Len: 4}},
			{T: ms(200.04), Packet: &lab.Packet{From: "client", To: "server", Flags: "R", Seq: 2}},
			{T: ms(200.3), Call: &lab.Call{Actor: "server", Op: "read", Result: "ECONNRESET"}},
		},
		Verdicts: []lab.Verdict{{Claim: "C04", Verdict: "agrees",
			Said:     "data sent to a closed socket is answered with RST",
			Observed: "[R] seq 2 after the server's write"}},
	}
	render.Diagram(os.Stdout, r, &render.Options{Width: 72})
	// Output:
	// tiny
	// claims: C04 · passed
	//
	//   t(ms)  client                         server
	//   0.000  close() = ok
	//   0.020  FIN-WAIT-1
	//   0.030  ───── [F.] seq 1 ack 1 ──────▶
	//   0.050  ◀───────────── [.] ack 2 ─────
	// 200.000                                 write("late") = 4
	// 200.020  ◀─ [P.] seq 1:5 ack 2 len 4 ──
	// 200.040  ───── [R] seq 2 ─────────────▶
	// 200.300                                 read() = ECONNRESET
	//
	// verdicts
	//   C04  agrees
	//        said      data sent to a closed socket is answered with RST
	//        observed  [R] seq 2 after the server's write
}

// The table printed after the whole catalog.
func ExampleSummary() {
	rs := []lab.Result{
		{Name: "seed-close", Claims: []string{"C04", "C06"}, Passed: true, Duration: 312 * time.Millisecond,
			Verdicts: []lab.Verdict{{Claim: "C04", Verdict: "agrees"}, {Claim: "C06", Verdict: "differs"}},
			Expects:  []lab.Expectation{{Line: 3, OK: true}}},
		{Name: "four-way", Claims: []string{"C14"}, Passed: true, Duration: 1250 * time.Millisecond,
			Verdicts: []lab.Verdict{{Claim: "C14", Verdict: "agrees"}},
			Expects:  []lab.Expectation{{Line: 5, OK: true}, {Line: 6, OK: true}}},
	}
	render.Summary(os.Stdout, rs, nil)
	// Output:
	//   scenario    claims   verdict                  expects  time
	// ✓ seed-close  C04 C06  1 agrees, 1 differs C06  1/1      312.0 ms
	// ✓ four-way    C14      agrees                   2/2      1.25 s
	//
	// 2 scenarios: 2 passed, 0 failed · verdicts: 2 agree, 1 differs
}
