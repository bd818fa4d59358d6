package report_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
)

// bulk is a run of n packets: a handshake, a long transfer of data and
// ACKs (the shape of the linger scenarios, or of an explain report of a
// capture), a FIN each way.
func bulk(n int) lab.Result {
	r := lab.Result{Name: "bulk", Actors: []string{"client", "server"}}
	add := func(i int, from, to, flags string, seq uint32, l int) {
		r.Events = append(r.Events, lab.Event{T: time.Duration(i) * 20 * time.Microsecond, Kind: lab.KindPacket,
			Packet: &lab.Packet{From: from, To: to, Proto: "tcp", Flags: flags, Seq: seq, Len: l}})
	}
	add(0, "client", "server", "S", 0, 0)
	add(1, "server", "client", "S.", 0, 0)
	for i := 2; i < n-2; i++ {
		if i%2 == 0 {
			add(i, "client", "server", "P.", uint32(i*500), 1000)
		} else {
			add(i, "server", "client", ".", 1, 0)
		}
	}
	add(n-2, "client", "server", "F.", uint32(n*500), 0)
	add(n-1, "server", "client", "F.", 1, 0)
	r.Events = append(r.Events, lab.Event{T: time.Second, Kind: lab.KindCall, Call: &lab.Call{Actor: "client", Op: "close", Result: "ok"}})
	return r
}

// TestFoldKeepsCounts draws runs of up to 10,000 segments: no more arrows
// than the bound, every segment either an arrow or counted in a fold, the
// segments that open and close the connection kept, and the file small.
func TestFoldKeepsCounts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, max    int
		wantFolds bool
	}{
		{"under the bound", 100, 0, false},
		{"linger-sized", 1400, 0, true},
		{"ten thousand", 10000, 0, true},
		{"ten thousand, small bound", 10000, 10, true},
		{"no bound", 2000, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteSVG(&b, bulk(tc.n), &report.Options{MaxArrows: tc.max}); err != nil {
				t.Fatal(err)
			}
			root := parseSVG(t, b.Bytes())
			arrows, folds := root.all("packet"), root.all("fold")
			folded := 0
			for _, f := range folds {
				n, err := strconv.Atoi(f.attr["data-packets"])
				if err != nil || n <= 0 {
					t.Fatalf("fold with data-packets %q", f.attr["data-packets"])
				}
				folded += n
				if !strings.Contains(f.inner(), fmt.Sprintf("%d more segments", n)) {
					t.Errorf("fold of %d says %q", n, f.inner())
				}
			}
			if len(arrows)+folded != tc.n {
				t.Errorf("%d arrows + %d folded = %d, want the %d packets", len(arrows), folded, len(arrows)+folded, tc.n)
			}
			limit := tc.max
			if limit == 0 {
				limit = report.DefaultMaxArrows
			}
			if limit > 0 && len(arrows) > limit {
				t.Errorf("%d arrows drawn, bound %d", len(arrows), limit)
			}
			if (len(folds) > 0) != tc.wantFolds {
				t.Errorf("%d folds", len(folds))
			}
			if tc.max >= 0 && tc.max < 20 {
				return // too small a bound to keep the FINs at both ends
			}
			labels := ""
			for _, a := range arrows {
				labels += a.inner() + "\n"
			}
			for _, want := range []string{"[S]", "[S.]", "[F.] seq"} {
				if !strings.Contains(labels, want) {
					t.Errorf("no %s arrow kept", want)
				}
			}
			if tc.max >= 0 && b.Len() > 200_000 {
				t.Errorf("%d bytes for %d packets: folding should keep it small", b.Len(), tc.n)
			}
		})
	}
}

// TestWireMarks draws the wire's marks: each a class on the packet
// element, a dropped segment ending in ✕ short of its receiver, a delayed
// one slanted down, an injected one starting from +.
func TestWireMarks(t *testing.T) {
	r := bulk(10)
	marks := map[uint32]string{1000: report.MarkDropped, 2000: report.MarkDelayed, 3000: report.MarkInjected, 0: ""}
	o := &report.Options{WireMark: func(p *lab.Packet) string {
		if p.Flags == "P." {
			return marks[p.Seq]
		}
		return "bogus" // unknown marks are ignored
	}}
	var b bytes.Buffer
	if err := report.WriteSVG(&b, r, o); err != nil {
		t.Fatal(err)
	}
	root := parseSVG(t, b.Bytes())
	got := map[string]*node{}
	for _, p := range root.all("packet") {
		for _, m := range []string{report.MarkDropped, report.MarkDelayed, report.MarkInjected, "bogus"} {
			if p.hasClass(m) {
				got[m] = p
			}
		}
	}
	if got["bogus"] != nil {
		t.Error("an unknown mark became a class")
	}
	if p := got[report.MarkDropped]; p == nil || !strings.Contains(p.inner(), "✕") || p.first("path", "") != nil {
		t.Errorf("dropped: want a ✕ and no arrowhead, got %+v", p)
	}
	if p := got[report.MarkDelayed]; p == nil || p.first("line", "hit").num("y2") <= p.first("line", "hit").num("y1") {
		t.Errorf("delayed: want an arrow slanted down, got %+v", p)
	}
	if p := got[report.MarkInjected]; p == nil || !strings.Contains(p.inner(), "+") {
		t.Errorf("injected: want a +, got %+v", p)
	}
}
