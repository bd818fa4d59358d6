package probe_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/probe"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

// The report card as users read it, from a fixed report (the figures of
// the Go net/http row of docs/probe.md).
func TestReportText(t *testing.T) {
	rep := probe.Report{Target: "127.0.0.1:8080", Checks: []probe.Check{
		{Name: "close-after-reply", Verdict: probe.OK, DurationMs: 1.2,
			Evidence: "whole reply (171 of 171 bytes), then the server's FIN [F.] (read returned EOF) 2µs after its last byte: the server closed first and holds the TIME-WAIT (C28)"},
		{Name: "pipelined-close", Verdict: probe.Fail, DurationMs: 32.4,
			Evidence: "reply truncated by the server's reset: 24576 of 307340 bytes, 282764 bytes lost; then the server's RST [R] (read failed with ECONNRESET) at 32ms (RFC 9112 §9.6; C21)"},
		{Name: "early-response", Verdict: probe.Risk, DurationMs: 503,
			Evidence: "response (status 200, 171 of 171 bytes) read while sending, then the server reset the upload: 3968000 of 8388608 body bytes sent (then EPIPE); a client that reads only after sending its body loses the response"},
		{Name: "shutdown", Verdict: probe.NA, Evidence: "no -restart-cmd given"},
	}}
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(c.Text())
	}
	b.WriteString(rep.Summary() + "\n")
	golden := filepath.Join("testdata", "report.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("report card (-want +got):\n%s", diff)
	}
	if !rep.Failed() {
		t.Error("Failed() = false with a failed check")
	}
}
