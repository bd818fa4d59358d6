package report_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/lab/runner"
)

// TestLiveRun runs the seed's experiment A on this kernel (root: packets
// and states are recorded) and draws it: the diagram has an arrow per
// captured packet, a box per call, a label per state change, and the FIN
// and the RST of the experiment among its arrows.
func TestLiveRun(t *testing.T) {
	testenv.RequireRoot(t)
	s, err := lab.Lookup("seed-close")
	if err != nil {
		t.Fatal(err)
	}
	res := runner.RunScenario(context.Background(), s, nil)
	if len(res) != 1 || res[0].Err != "" {
		t.Fatalf("run: %+v", res)
	}
	var b bytes.Buffer
	if err := report.WriteSVG(&b, res[0], nil); err != nil {
		t.Fatal(err)
	}
	lines := structure(t, b.Bytes())
	checkCounts(t, res[0], lines)
	for _, want := range []string{"packet client>server [F.] seq 4 ack 1", "packet client>server [R] seq 5"} {
		if !contains(lines, want) {
			t.Errorf("no %q in the diagram:\n%q", want, lines)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
