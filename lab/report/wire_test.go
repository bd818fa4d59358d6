package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
)

// TestPacketWireMark: without a WireMark hook the packet's own mark (what
// the lab's wire recorded) becomes the class and the ✕.
func TestPacketWireMark(t *testing.T) {
	r := bulk(10)
	for i := range r.Events {
		if p := r.Events[i].Packet; p != nil && p.Flags == "P." && p.Seq == 1000 {
			p.Wire = lab.WireDropped
		}
	}
	var b bytes.Buffer
	if err := report.WriteSVG(&b, r, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range parseSVG(t, b.Bytes()).all("packet") {
		if p.hasClass(report.MarkDropped) {
			n++
			if !strings.Contains(p.inner(), "✕") {
				t.Errorf("dropped packet without ✕: %+v", p)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d packets drawn dropped, want 1", n)
	}
}
