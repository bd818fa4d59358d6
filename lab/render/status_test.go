package render_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

const skipReason = "needs root: scenario orphan-finwait2 changes sysctls, which it may do only in a private network namespace, and making one needs root (run it as root, e.g. with sudo)"

func skipped() lab.Result {
	return lab.Result{Name: "orphan-finwait2", Claims: []string{"C15"}, Actors: []string{"client", "server"},
		Status: lab.StatusSkipped, Reason: skipReason}
}

func inconclusive() lab.Result {
	r := seedClose()
	r.Status, r.Passed = lab.StatusInconclusive, false
	r.Loss = &lab.Loss{CaptureDrops: 3}
	r.Reason = "inconclusive, not failed: the kernel dropped 3 captured packet(s) (ring full)"
	return r
}

// TestSkippedIsSaidWhole: a scenario that could not run shows its whole
// reason, no expectation lines and no verdicts, and is counted as skipped,
// not as an error or a failure.
func TestSkippedIsSaidWhole(t *testing.T) {
	var b bytes.Buffer
	if err := render.Diagram(&b, skipped(), &render.Options{Width: 80}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "skipped: "+skipReason) {
		t.Errorf("the reason is not said whole:\n%s", out)
	}
	for _, bad := range []string{"✗", "no such call", "expectations", "error", "no events recorded"} {
		if strings.Contains(out, bad) {
			t.Errorf("a skipped scenario shows %q:\n%s", bad, out)
		}
	}
	sum := summary(t, []lab.Result{seedShutdown(), skipped(), inconclusive()}, render.Options{Width: 80})
	lines := strings.Split(strings.TrimSpace(sum), "\n")
	want := "3 scenarios: 1 passed, 0 failed, 1 inconclusive, 1 skipped · verdicts: 4 agree"
	if diff := cmp.Diff(want, lines[len(lines)-1]); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(strings.Fields(sum), " "), "skipped orphan-finwait2: "+skipReason) {
		t.Errorf("the summary does not say the skip reason whole:\n%s", sum)
	}
	for _, l := range lines[1:4] {
		if m, _, _ := strings.Cut(l, " "); m != "✓" && m != "-" && m != "?" {
			t.Errorf("row %q: mark %q", l, m)
		}
	}
}

// TestSummaryFits80 lays out the catalog's longest names at 80 columns:
// every line fits and the variants of one scenario stay distinguishable.
func TestSummaryFits80(t *testing.T) {
	var rs []lab.Result
	for _, v := range []string{"small-close", "small-safe", "big-close", "big-safe"} {
		r := seedShutdown()
		r.Name, r.Variant = "pipelined-close", v
		rs = append(rs, r)
	}
	for _, v := range []string{"late", "close", "early"} {
		r := failed()
		r.Name, r.Variant = "orphan-finwait2", v
		rs = append(rs, r)
	}
	out := summary(t, rs, render.Options{Width: 80})
	names := map[string]bool{}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := render.Width(l); w > 80 {
			t.Errorf("%d columns: %q", w, l)
		}
	}
	for _, l := range strings.Split(out, "\n")[1 : 1+len(rs)] {
		name := splitCells(l[strings.IndexByte(l, ' ')+1:])[0]
		if names[name] {
			t.Errorf("two rows named %q:\n%s", name, out)
		}
		names[name] = true
		if !strings.Contains(name, "/") {
			t.Errorf("row %q lost its variant", name)
		}
	}
}

// TestHideDurations: with HideDurations a normalised diagram keeps no
// measured figure that plain normalising shows.
func TestHideDurations(t *testing.T) {
	draw := func(hide bool) string {
		var b bytes.Buffer
		o := render.Options{Width: 100, NormalizeTimes: true, HideDurations: hide}
		if err := render.Diagram(&b, seedShutdown(), &o); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if !strings.Contains(draw(false), "~0.") {
		t.Fatal("the fixture shows no measured figure: the test proves nothing")
	}
	if out := draw(true); strings.Contains(out, "~0.") {
		t.Errorf("durations left in:\n%s", out)
	}
}
