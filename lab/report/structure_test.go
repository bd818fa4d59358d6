package report_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/lab/runner"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

func TestMain(m *testing.M) {
	runner.RunIfChild() // process actors re-execute this test binary
	testenv.Main(m)
}

// structure reads a diagram back as one line per drawn thing, in drawing
// order: "packet client>server [F.] seq 4 ack 1", "call server read(4096)
// = EOF", "state client ~TIME-WAIT", "break", "fold 1379". The ends of an
// arrow are the lanes its shaft starts and ends on, so a diagram whose
// arrows pointed the wrong way would not match.
func structure(t *testing.T, svg []byte) []string {
	root := parseSVG(t, svg)
	lanes := map[float64]string{}
	for _, a := range root.all("actor") {
		if a.name == "text" {
			lanes[a.num("x")] = a.text
		}
	}
	var out []string
	walk(root, func(n *node) bool {
		switch {
		case n.hasClass("packet"):
			l := n.first("line", "hit")
			label := n.first("text", "wm")
			out = append(out, fmt.Sprintf("packet %s>%s %s", nearest(lanes, l.num("x1")), nearest(lanes, l.num("x2")), label.visible()))
		case n.hasClass("call"), n.hasClass("state"), n.hasClass("snapshot"), n.hasClass("note"):
			r := n.first("text", "")
			x := r.num("x")
			if rect := n.first("rect", ""); rect != nil {
				x = rect.num("x") + rect.num("width")/2
			}
			out = append(out, fmt.Sprintf("%s %s %s", strings.Fields(n.attr["class"])[0], nearest(lanes, x), r.visible()))
		case n.hasClass("break"):
			out = append(out, "break")
		case n.hasClass("fold"):
			out = append(out, "fold "+n.attr["data-packets"])
		default:
			return true
		}
		return false
	})
	return out
}

// walk visits n and its descendants while visit says to go deeper.
func walk(n *node, visit func(*node) bool) {
	if !visit(n) {
		return
	}
	for _, k := range n.kids {
		walk(k, visit)
	}
}

// TestGoldenStructure renders real runs of the seed's experiments A and B
// (saved from `teardown lab -json` as root) and compares what the SVG
// draws — arrows with their ends and labels, calls, states, breaks — with
// a golden file, and the counts with the events of the JSON: one arrow per
// packet, one box per call, one label per state change.
func TestGoldenStructure(t *testing.T) {
	for _, name := range []string{"seed-close", "seed-shutdown"} {
		t.Run(name, func(t *testing.T) {
			run := loadRun(t, name+".json")
			r := run.Scenarios[0]
			var b bytes.Buffer
			if err := report.WriteSVG(&b, r, nil); err != nil {
				t.Fatal(err)
			}
			got := structure(t, b.Bytes())
			checkCounts(t, r, got)
			compareGolden(t, filepath.Join("testdata", name+".structure.golden"), strings.Join(got, "\n")+"\n")
		})
	}
}

func checkCounts(t *testing.T, r lab.Result, lines []string) {
	t.Helper()
	count := map[string]int{}
	for _, l := range lines {
		count[strings.Fields(l)[0]]++
	}
	for kind, want := range map[string]int{
		"packet": countKind(r, lab.KindPacket),
		"call":   countKind(r, lab.KindCall),
		"state":  countKind(r, lab.KindState),
	} {
		if count[kind] != want {
			t.Errorf("%s: %d %s elements drawn, the JSON has %d", r.Name, count[kind], kind, want)
		}
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
