package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
	"github.com/tcpteardown/teardown/tcpstate"
)

// FuzzDiagram feeds arbitrary text where a scenario file or the kernel
// puts text (actor names, arguments, data read, notes, flags) and checks
// what every reader relies on: no panic, no line wider than Options.Width,
// no escape sequence without Color.
func FuzzDiagram(f *testing.F) {
	f.Add("client", "aaa", `"Hi, aaa"`, "P.", "note", 100, false)
	f.Add("客户端", "数据", "接收方一直没有收到任何数据", "R", "一二三四五六七八九十一二三四五六七八九十一二三四五", 41, true)
	f.Add("c\x1b[31m", "\n\r\t", "\xff\xfe", "", strings.Repeat("x", 300), 40, false)
	f.Add("", "", "", "F.", "", 0, true)
	f.Fuzz(func(t *testing.T, actor, args, data, flags, text string, width int, zh bool) {
		width = width%200 + 40
		if width < 40 { // a negative input
			width += 200
		}
		o := &render.Options{Width: width}
		if zh {
			o.Lang = "zh"
		}
		r := lab.Result{
			Name: actor, Title: text, Claims: []string{actor}, Actors: []string{"client", actor, "x", "y", "z"},
			Notes: []string{text}, Err: data,
			Events: []lab.Event{
				{T: time.Millisecond, Call: &lab.Call{Actor: actor, Op: args, Args: args, Result: data, Data: data, Dur: time.Second}},
				{T: 2 * time.Millisecond, Packet: &lab.Packet{From: "client", To: actor, Flags: flags, Len: len(data), Info: data}},
				{T: 2 * time.Millisecond, Packet: &lab.Packet{From: actor, To: "y", Flags: flags, Info: text}},
				{T: 3 * time.Millisecond, State: &lab.State{Actor: actor, To: tcpstate.TimeWait, Inferred: true, Reset: text}},
				{T: 3 * time.Millisecond, Note: &lab.Note{Actor: actor, Text: text}},
				{T: 4 * time.Millisecond, Snapshot: &lab.Snapshot{Rows: []lab.SockRow{{Actor: actor, Timer: text}}}},
				{T: 5 * time.Millisecond, Note: &lab.Note{Text: text}},
			},
			Expects:  []lab.Expectation{{Line: 1, Text: text, Got: data}},
			Verdicts: []lab.Verdict{{Claim: actor, Verdict: lab.VerdictKind(flags), Said: text, Observed: data, Why: args, SaidZh: text}},
		}
		var b bytes.Buffer
		if err := render.Diagram(&b, r, o); err != nil {
			t.Fatal(err)
		}
		if err := render.Summary(&b, []lab.Result{r, r}, o); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "\x1b") {
			t.Fatalf("escape sequence without Color: %q", out)
		}
		for _, l := range strings.Split(out, "\n") {
			if w := render.Width(l); w > width {
				t.Fatalf("line of %d columns at width %d: %q", w, width, l)
			}
		}
	})
}
