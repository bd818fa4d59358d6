package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/tcpstate"
)

// FuzzReport feeds arbitrary scenario texts (names, titles, actors, flags,
// payloads, verdict texts — all of which come from scenario files or the
// wire) to both renderers: the SVG must stay well-formed XML with one
// packet element per packet, and the page must keep exactly its own
// script and one section with the run's name as id.
func FuzzReport(f *testing.F) {
	f.Add("seed-close", "v", "client", "F.", `"aaa"`, "said", 3)
	f.Add(`x"><script>alert(1)</script>`, "]]>", "a\x00b", "\uFFFE", "\xff\xfe", "<b>", -1)
	f.Add("", "", "", "", "", "", 0)
	f.Fuzz(func(t *testing.T, name, variant, actor, flags, data, text string, n int) {
		r := lab.Result{Name: name, Variant: variant, Title: text, Claims: []string{text}, Actors: []string{actor, "server"},
			Notes: []string{text}, Err: text,
			Events: []lab.Event{
				{Kind: lab.KindCall, Call: &lab.Call{Actor: actor, Op: text, Args: data, Result: text, Data: data, Dur: time.Duration(n)}},
				{T: time.Duration(n), Kind: lab.KindPacket, Packet: &lab.Packet{From: actor, To: "server", Proto: text, Flags: flags, Info: data, Len: n}},
				{T: time.Duration(n) * 1e6, Kind: lab.KindPacket, Packet: &lab.Packet{From: text, To: actor, Proto: "tcp", Flags: flags}},
				{T: -time.Duration(n), Kind: lab.KindState, State: &lab.State{Actor: actor, To: tcpstate.State(n), Reset: text, Inferred: n%2 == 0}},
				{Kind: lab.KindNote, Note: &lab.Note{Actor: text, Text: data}},
				{Kind: lab.KindSnapshot, Snapshot: &lab.Snapshot{Rows: []lab.SockRow{{Actor: text, Timer: data, Local: text}}}},
			},
			Verdicts: []lab.Verdict{{Claim: text, Verdict: lab.VerdictKind(text), Said: data, SaidZh: text, Observed: data, Why: text}},
			Expects:  []lab.Expectation{{Line: n, Text: text, Got: data}},
		}
		var svg bytes.Buffer
		if err := report.WriteSVG(&svg, r, &report.Options{MaxArrows: 1}); err != nil {
			t.Fatal(err)
		}
		root := parseSVG(t, svg.Bytes())
		if got := len(root.all("packet")) + len(root.all("fold")); got < 1 || got > 2 {
			t.Fatalf("%d packet and fold elements for 2 packets", got)
		}
		var page bytes.Buffer
		if err := report.WriteHTML(&page, []lab.Result{r}, nil); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&page)
		if err != nil {
			t.Fatal(err)
		}
		d := scanDOM(doc)
		if d.scripts != 1 || len(d.sections) != 1 || d.svgs != 1 || len(d.forbidden) > 0 {
			t.Fatalf("page structure: %d scripts, sections %q, %d svgs, forbidden %q", d.scripts, d.sections, d.svgs, d.forbidden)
		}
		if strings.ContainsAny(name+variant, "<>&\"'") && strings.Contains(page.String(), "id=\""+name) {
			t.Fatalf("section id written unescaped")
		}
	})
}
