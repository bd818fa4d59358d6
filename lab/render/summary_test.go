package render_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

func TestSummaryGolden(t *testing.T) {
	rs := []lab.Result{seedClose(), seedShutdown(), failed()}
	tests := []struct {
		name string
		opts render.Options
		file string
	}{
		{"normalised", render.Options{NormalizeTimes: true}, "summary.golden"},
		{"with times", render.Options{}, "summary.times.golden"},
		{"zh", render.Options{NormalizeTimes: true, Lang: "zh"}, "summary.zh.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.file, []byte(summary(t, rs, tt.opts)))
		})
	}
}

// TestSummaryRows checks each row's cells: the verdicts condensed, the
// expectations held, the status mark.
func TestSummaryRows(t *testing.T) {
	tests := []struct {
		name   string
		result lab.Result
		want   []string // the row's cells, in order
	}{
		{"all agree", seedShutdown(), []string{"✓", "seed-shutdown", "C01 C08 C12 C14", "agrees", "4/4", "313.0 ms"}},
		{"mixed names what does not agree", seedClose(), []string{"✓", "seed-close", "C04 C05 C06", "2 agree, 1 partly C05", "5/5", "312.5 ms"}},
		{"all differ", failed(), []string{"✗", "linger-expire", "C19", "differs C19", "1/2", "3.25 s"}},
		{"skipped counted apart", noRoot(), []string{"✓", "seed-close", "C04 C05 C06", "1 agrees, 1 partly C05, 1 not observed C04", "3/3 +2 skipped", "312.5 ms"}},
		{"error", broken(), []string{"!", "orphan-finwait2", "C15", "error: netns: unshare: operation not permitted (run as root)", "-"}},
		{"no verdicts", backlog(), []string{"✓", "backlog", "C25", "no verdict", "-", "2.60 s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := summary(t, []lab.Result{tt.result}, render.Options{Width: 160})
			row := strings.Split(out, "\n")[1]
			mark, rest, _ := strings.Cut(row, " ")
			got := append([]string{mark}, splitCells(rest)...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("row %q (-want +got):\n%s", row, diff)
			}
		})
	}
}

// splitCells splits a table row at runs of two or more spaces.
func splitCells(row string) []string {
	var out []string
	for _, c := range strings.Split(row, "  ") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func TestSummaryTotals(t *testing.T) {
	out := summary(t, values(all()), render.Options{Width: 160})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := "7 scenarios: 5 passed, 1 failed, 1 error · verdicts: 8 agree, 1 differs, 2 partly, 1 not observed"
	if diff := cmp.Diff(want, lines[len(lines)-1]); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		name        string
		done, total int
		current     string
		want        string
	}{
		{"start", 0, 26, "seed-close", "[....................]  0/26 seed-close\n"},
		{"middle", 13, 26, "linger-wait", "[##########..........] 13/26 linger-wait\n"},
		{"finished", 26, 26, "", "[####################] 26/26\n"},
		{"long name cut", 1, 2, strings.Repeat("x", 100), "[##########..........] 1/2 " + strings.Repeat("x", 51) + "…\n"},
		{"nothing to run", 0, 0, "", "[....................] 0/0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer // not a terminal: one plain line per call
			render.Progress(&b, tt.done, tt.total, tt.current)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
