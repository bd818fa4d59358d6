package report_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/tcpstate"
)

// hostile is a run whose every text comes from a scenario file written to
// break out of its place: markup, quotes, CDATA ends, control characters,
// a terminal escape, characters XML forbids, invalid UTF-8.
func hostile(name string) lab.Result {
	evil := `"'><script>alert(1)</script><img src=x onerror=alert(2)>]]>&amp;` + "\x1b[31m\x00\uFFFE\xff"
	return lab.Result{
		Name: name, Variant: "v<1>", Title: "</svg></section><script>alert(3)</script>" + evil,
		Claims: []string{"C01" + evil}, Actors: []string{"client" + evil, "server"},
		Notes: []string{"note" + evil}, Err: "err" + evil,
		Events: []lab.Event{
			{Kind: lab.KindCall, Call: &lab.Call{Actor: "client" + evil, Op: "read" + evil, Args: evil, Result: "E" + evil, Data: evil}},
			{T: 1e6, Kind: lab.KindPacket, Packet: &lab.Packet{From: "client" + evil, To: "server", Proto: "tcp", Flags: "F." + evil, Info: evil, Len: 3}},
			{T: 2e6, Kind: lab.KindPacket, Packet: &lab.Packet{From: "10.0.0.1:80" + evil, To: "server", Proto: "tcp", Flags: "R"}},
			{T: 3e6, Kind: lab.KindState, State: &lab.State{Actor: "server", From: tcpstate.Established, To: tcpstate.CloseWait, Reset: "sent" + evil}},
			{T: 4e6, Kind: lab.KindNote, Note: &lab.Note{Actor: evil, Text: evil}},
			{T: 5e6, Kind: lab.KindSnapshot, Snapshot: &lab.Snapshot{Rows: []lab.SockRow{{Actor: evil, State: tcpstate.TimeWait, Timer: evil, Local: evil}}}},
		},
		Verdicts: []lab.Verdict{{Claim: "C01" + evil, Verdict: lab.VerdictKind("agrees" + evil), Said: evil, SaidZh: evil, Observed: evil, Why: evil, WhyZh: evil}},
		Expects:  []lab.Expectation{{Line: 3, Text: evil, Got: evil}},
	}
}

// TestHostileTexts renders hostile runs and checks that none of their text
// became markup: the SVG is well-formed XML with the expected elements, the
// HTML parses to exactly one script (the page's own), no element carries
// an event handler or a src, and each section's id is the run's name,
// character for character after sanitising.
func TestHostileTexts(t *testing.T) {
	names := []string{`x"><script>alert(0)</script>`, "a\nb", "dup", "dup"}
	var results []lab.Result
	for _, n := range names {
		r := hostile(n)
		results = append(results, r)
		var svg bytes.Buffer
		if err := report.WriteSVG(&svg, r, nil); err != nil {
			t.Fatal(err)
		}
		root := parseSVG(t, svg.Bytes())
		if got := len(root.all("packet")); got != 2 {
			t.Errorf("%q: %d packet elements, want 2", n, got)
		}
		if strings.Contains(svg.String(), "<script") || strings.Contains(svg.String(), "<img") {
			t.Errorf("%q: markup from the scenario reached the SVG", n)
		}
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, results, nil); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&page)
	if err != nil {
		t.Fatal(err)
	}
	d := scanDOM(doc)
	if d.scripts != 1 {
		t.Errorf("%d <script> elements, want 1 (the page's own)", d.scripts)
	}
	for _, bad := range d.forbidden {
		t.Errorf("element from scenario text: %s", bad)
	}
	want := []string{`x"><script>alert(0)</script>/v<1>`, `a\nb/v<1>`, "dup/v<1>", "dup/v<1>"}
	if strings.Join(d.sections, "|") != strings.Join(want, "|") {
		t.Errorf("section ids %q, want %q", d.sections, want)
	}
	if d.svgs != len(names) {
		t.Errorf("%d svg elements, want one per section (%d)", d.svgs, len(names))
	}
}

// dom is what scanDOM found in a page.
type dom struct {
	scripts   int
	svgs      int
	sections  []string
	forbidden []string
	packets   map[string]int // section id → packet elements
	folded    map[string]int // section id → packets folded
}

func scanDOM(doc *html.Node) dom {
	d := dom{packets: map[string]int{}, folded: map[string]int{}}
	section := ""
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				d.scripts++
			case "svg":
				d.svgs++
			case "section":
				section = attr(n, "id")
				d.sections = append(d.sections, section)
			case "img", "iframe", "object", "embed", "link", "base", "form", "a":
				if n.Data != "a" || !strings.HasPrefix(attr(n, "href"), "#") {
					d.forbidden = append(d.forbidden, "<"+n.Data+">")
				}
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") || a.Key == "src" || a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
					d.forbidden = append(d.forbidden, n.Data+" "+a.Key+"="+a.Val)
				}
			}
			classes := " " + attr(n, "class") + " "
			if strings.Contains(classes, " packet ") {
				d.packets[section]++
			}
			if strings.Contains(classes, " fold ") {
				d.folded[section] += atoi(attr(n, "data-packets"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	return d
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
