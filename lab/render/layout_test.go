package render_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// columns is an independent count of terminal columns for the width test:
// Han characters and CJK/fullwidth punctuation take two, everything else
// in these fixtures one.
func columns(s string) int {
	n := 0
	for _, r := range sgr.ReplaceAllString(s, "") {
		switch {
		case unicode.Is(unicode.Han, r), r >= 0x3000 && r <= 0x303f, r >= 0xff00 && r <= 0xff60:
			n += 2
		default:
			n++
		}
	}
	return n
}

func draw(t *testing.T, r lab.Result, o render.Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.Diagram(&b, r, &o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func summary(t *testing.T, rs []lab.Result, o render.Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.Summary(&b, rs, &o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func values(m map[string]lab.Result) []lab.Result {
	var out []lab.Result
	for _, name := range []string{"seed-close", "seed-shutdown", "no-root", "failed", "broken", "backlog", "udp"} {
		out = append(out, m[name])
	}
	return out
}

func TestWidthNeverExceeded(t *testing.T) {
	for _, width := range []int{40, 60, 80, 100, 140} {
		for _, lang := range []string{"en", "zh"} {
			for _, color := range []bool{false, true} {
				o := render.Options{Width: width, Lang: lang, Color: color}
				outputs := map[string]string{"summary": summary(t, values(all()), o)}
				for name, r := range all() {
					outputs[name] = draw(t, r, o)
				}
				for name, out := range outputs {
					t.Run(fmt.Sprintf("%s/%d/%s/color=%v", name, width, lang, color), func(t *testing.T) {
						for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
							if got := columns(l); got > width {
								t.Errorf("line %d is %d columns, want ≤ %d:\n%s", i+1, got, width, l)
							}
						}
					})
				}
			}
		}
	}
}

func TestWidth(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"ascii", "FIN-WAIT-2", 10},
		{"empty", "", 0},
		{"han", "一致", 4},
		{"mixed", "结论: agrees", 12},
		{"fullwidth punctuation", "（种子 003）。", 14},
		{"combining accent", "e\u0301", 1},
		{"box drawing and arrows", "──▶", 3},
		{"control", "a\x00b", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, render.Width(tt.in)); diff != "" {
				t.Errorf("Width(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	for name, r := range all() {
		t.Run(name, func(t *testing.T) {
			plain := draw(t, r, render.Options{})
			colored := draw(t, r, render.Options{Color: true})
			if strings.Contains(plain, "\x1b") {
				t.Errorf("Color=false output has an escape sequence:\n%q", plain)
			}
			if !strings.Contains(colored, "\x1b[") {
				t.Errorf("Color=true output has no colour")
			}
			if diff := cmp.Diff(plain, sgr.ReplaceAllString(colored, "")); diff != "" {
				t.Errorf("colour changed the layout (-plain +colored without SGR):\n%s", diff)
			}
		})
	}
	rs := values(all())
	if s := summary(t, rs, render.Options{}); strings.Contains(s, "\x1b") {
		t.Errorf("Color=false summary has an escape sequence:\n%q", s)
	}
	if s := summary(t, rs, render.Options{Color: true}); !strings.Contains(s, "\x1b[") {
		t.Errorf("Color=true summary has no colour")
	}
}

func TestArrows(t *testing.T) {
	tests := []struct {
		name string
		pkt  lab.Event
		want string // the arrow line without its stamp
	}{
		{"data to the right, payload shown", pkt(1, "client", "server", "P.", 1, 1, 3, `"aaa"`),
			`───── [P.] seq 1:4 ack 1 len 3 "aaa" ─────────────────▶`},
		{"pure ack to the left, no seq", pkt(1, "server", "client", ".", 1, 4, 0, ""),
			`◀────────────────────────────────────── [.] ack 4 ─────`},
		{"fin has seq and ack", pkt(1, "client", "server", "F.", 4, 1, 0, ""),
			`───── [F.] seq 4 ack 1 ───────────────────────────────▶`},
		{"reset has seq, no ack", pkt(1, "client", "server", "R", 5, 0, 0, ""),
			`───── [R] seq 5 ──────────────────────────────────────▶`},
		{"syn", pkt(1, "client", "server", "S", 0, 0, 0, ""),
			`───── [S] seq 0 ──────────────────────────────────────▶`},
		{"payload dropped when it does not fit", pkt(1, "server", "client", "P.", 1, 5, 20, `"a long answer, cut"`),
			`◀───────────────────── [P.] seq 1:21 ack 5 len 20 ─────`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lab.Result{Name: "x", Actors: []string{"client", "server"}, Events: []lab.Event{tt.pkt}}
			lines := strings.Split(draw(t, r, render.Options{Width: 120}), "\n")
			got := ""
			for _, l := range lines {
				if strings.ContainsAny(l, "▶◀") {
					got = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "1.000"))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("arrow (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNotesAndErrors checks the two things a reader must not miss: why
// packets are absent (once, above the diagram) and why a scenario did not
// run.
func TestNotesAndErrors(t *testing.T) {
	tests := []struct {
		name      string
		result    lab.Result
		want      string
		count     int
		beforeHdr bool
	}{
		{"root note once, at the top", noRoot(), "note: packets and states need root: not recorded", 1, true},
		{"skipped expectations marked", noRoot(), "(skipped: not recorded)", 2, false},
		{"not observed verdict", noRoot(), "C04  not observed", 1, false},
		{"error shown", broken(), "error: netns: unshare: operation not permitted (run as root)", 1, false},
		{"no empty-diagram line for an error", broken(), "no events recorded", 0, false},
		{"failed expectation shows what was seen", failed(), "got: client > server R. seq 2469634 ack 1", 1, false},
		{"failed scenario says so", failed(), "claims: C19 · FAILED", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := draw(t, tt.result, render.Options{})
			if got := strings.Count(out, tt.want); got != tt.count {
				t.Fatalf("%q appears %d times, want %d:\n%s", tt.want, got, tt.count, out)
			}
			if tt.beforeHdr && strings.Index(out, tt.want) > strings.Index(out, "t(ms)") {
				t.Errorf("%q comes after the diagram's header:\n%s", tt.want, out)
			}
		})
	}
}

func TestSharedLane(t *testing.T) {
	out := draw(t, backlog(), render.Options{Width: 100})
	lines := strings.Split(out, "\n")
	header := ""
	for _, l := range lines {
		if strings.Contains(l, "t(ms)") {
			header = strings.Join(strings.Fields(l), " ")
		}
	}
	if diff := cmp.Diff("t(ms) server c1 c2 c3 c4", header); diff != "" {
		t.Errorf("lane header (-want +got):\n%s", diff)
	}
	for _, want := range []string{"c3: connect(127.0.0.1:40000) = EINPROGRESS", "c4>server [S] seq 0", "c3: ss: SYN-SENT"} {
		if !strings.Contains(out, want) {
			t.Errorf("shared lane: %q missing:\n%s", want, out)
		}
	}
	if strings.Contains(out, "c1: ") {
		t.Errorf("an actor with its own lane is tagged:\n%s", out)
	}
}

// TestHostileText feeds text with terminal escapes and newlines, as a
// read() of arbitrary bytes could return: it must not break lines or
// colour the terminal.
func TestHostileText(t *testing.T) {
	r := lab.Result{Name: "evil\nname", Actors: []string{"client", "server"}, Events: []lab.Event{
		call(1, "client", "read", "", "5", "\"\x1b[31mred\r\n\"", 0),
		note(2, "", "bell\a and\ttab"),
	}}
	out := draw(t, r, render.Options{})
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\r") || strings.Contains(out, "\a") {
		t.Errorf("control characters reached the output: %q", out)
	}
	for _, want := range []string{`evil\nname`, `read() = 5 "\x1b[31mred\r\n"`, `bell\x07 and\ttab`} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from:\n%s", want, out)
		}
	}
}
