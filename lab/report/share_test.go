package report_test

import (
	"bytes"
	"testing"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/tcpstate"
)

// TestSameMomentSharesALine: texts of different actors at the very same
// time are drawn side by side; texts of one actor, or at different times,
// each get a line.
func TestSameMomentSharesALine(t *testing.T) {
	st := func(actor string) lab.Event {
		return lab.Event{Kind: lab.KindState, State: &lab.State{Actor: actor, To: tcpstate.Established}}
	}
	evs := []lab.Event{st("client"), st("server"), st("server")}
	evs = append(evs, lab.Event{T: 5e5, Kind: lab.KindState, State: &lab.State{Actor: "client", To: tcpstate.FinWait1}})
	r := lab.Result{Name: "share", Actors: []string{"client", "server"}, Events: evs}
	var b bytes.Buffer
	if err := report.WriteSVG(&b, r, nil); err != nil {
		t.Fatal(err)
	}
	var ys []float64
	for _, s := range parseSVG(t, b.Bytes()).all("state") {
		ys = append(ys, s.first("rect", "").num("y"))
	}
	if len(ys) != 4 {
		t.Fatalf("%d state labels, want 4", len(ys))
	}
	if ys[0] != ys[1] {
		t.Errorf("client and server at the same moment: y %v and %v, want one line", ys[0], ys[1])
	}
	if ys[2] <= ys[1] || ys[3] <= ys[2] {
		t.Errorf("same lane or later time should go down: %v", ys)
	}
}
