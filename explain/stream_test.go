package explain_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/explain"
	"github.com/tcpteardown/teardown/record"
	rt "github.com/tcpteardown/teardown/record/recordtest"
)

// TestStreamLive: a live Stream prints a listed connection's line when the
// Builder hands it over, not at the end; a clean close is only counted;
// Finish prints the headline, the counts and the note on clean closes.
func TestStreamLive(t *testing.T) {
	var out bytes.Buffer
	s := explain.NewStream(&out, &explain.Config{Name: "lo"}, true)
	b := &record.Builder{Done: s.Done, Linger: time.Second}
	clean := conv().Handshake().Fin(C).Ack(S).Fin(S).Ack(C).Segs
	abort := rt.New("10.0.0.1:40001", "10.0.0.2:80").Handshake().Data(C, "GET").Rst(S).Segs
	for _, segs := range [][]capture.Segment{clean, abort} {
		for i := range segs {
			b.Add(&segs[i])
		}
	}
	b.Advance(abort[len(abort)-1].Time.Add(2 * time.Second)) // both conversations start at rt.Epoch
	line := "#2  10.0.0.1:40001 → 10.0.0.2:80  abort  closer server"
	if !strings.HasPrefix(out.String(), line) || strings.Contains(out.String(), "#1 ") {
		t.Fatalf("after the hand-over: want only the abort's line, got:\n%s", out.String())
	}
	if _, err := s.Finish(record.FileStats{Packets: len(clean) + len(abort), Format: "live"}, false); err != nil {
		t.Fatal(err)
	}
	tail := "lo: 12 packets (live), 2 TCP connections\n  1 clean · 1 abort\n(1 connections closed cleanly: -v lists them)\n"
	if !regexp.MustCompile(`\n` + regexp.QuoteMeta(tail) + `$`).MatchString(out.String()) {
		t.Errorf("the end of the output is not %q:\n%s", tail, out.String())
	}
}
