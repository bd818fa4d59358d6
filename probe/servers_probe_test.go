package probe_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/probe"
)

// run probes addr with the large resource and a short max wait.
func run(t *testing.T, addr string, cfg probe.Config) map[string]probe.Check {
	t.Helper()
	cfg.Addr = addr
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 2 * time.Second
	}
	if cfg.Raw == nil && cfg.Large == "" {
		cfg.Large = "/large"
	}
	rep, err := probe.Run(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]probe.Check{}
	for _, c := range rep.Checks {
		t.Logf("%-5s %-18s %s", c.Verdict, c.Name, c.Evidence)
		out[c.Name] = c
	}
	return out
}

// verdicts keeps the verdicts of the named checks.
func verdicts(got map[string]probe.Check, names []string) map[string]probe.Verdict {
	out := map[string]probe.Verdict{}
	for _, n := range names {
		out[n] = got[n].Verdict
	}
	return out
}

// matrixChecks are the columns of docs/probe.md's table (shutdown has its
// own test: it needs a restart command).
var matrixChecks = []string{"close-after-reply", "pipelined-close", "late-request", "client-half-close",
	"early-response", "idle", "slow-reader", "abort-handling"}

// The verdicts each real server earned on this machine (docs/probe.md).
// They follow from the evidence: a server that calls close() with a
// pipelined request unread resets its own reply (Go net/http, python,
// nginx lingering_close off); one that lingers keeps it whole (this
// module's server, Node, nginx on); only a server that lingers after every
// close survives a request sent once the reply has begun (this module's
// server, nginx always).
func TestServers(t *testing.T) {
	ok, risk, fail := probe.OK, probe.Risk, probe.Fail
	row := func(v ...probe.Verdict) map[string]probe.Verdict {
		m := map[string]probe.Verdict{}
		for i, n := range matrixChecks {
			m[n] = v[i]
		}
		return m
	}
	tests := []struct {
		name  string
		start func(*testing.T) string
		want  map[string]probe.Verdict
	}{
		{"teardown-server", startOwnServer, row(ok, ok, ok, ok, risk, ok, ok, ok)},
		{"go-net-http", startNetHTTP, row(ok, fail, fail, ok, risk, ok, ok, ok)},
		{"python-http.server", startPython, row(ok, fail, fail, ok, risk, ok, ok, ok)},
		{"node-http", startNode, row(ok, ok, fail, ok, ok, ok, ok, ok)},
		{"nginx-lingering-off", func(t *testing.T) string { return startNginx(t, "off") }, row(ok, fail, fail, ok, ok, ok, ok, ok)},
		{"nginx-lingering-on", func(t *testing.T) string { return startNginx(t, "on") }, row(ok, ok, fail, ok, ok, ok, ok, ok)},
		{"nginx-lingering-always", func(t *testing.T) string { return startNginx(t, "always") }, row(ok, ok, ok, ok, ok, ok, ok, ok)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, tt.start(t), probe.Config{Only: matrixChecks})
			if diff := cmp.Diff(tt.want, verdicts(got, matrixChecks)); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			assertEvidence(t, got)
			t.Logf("| %s | %s |", tt.name, strings.Join(cells(got), " | "))
		})
	}
}

// assertEvidence checks that each verdict agrees with its numbers: a
// truncated reply is a failure with fewer bytes than declared, and every
// failure of the reset problem saw the server's RST.
func assertEvidence(t *testing.T, got map[string]probe.Check) {
	t.Helper()
	for _, n := range []string{"pipelined-close", "late-request"} {
		c := got[n]
		if c.BytesExpected < 300<<10 {
			t.Errorf("%s: bytes_expected %d, want the 300 KiB reply", n, c.BytesExpected)
		}
		truncated := c.BytesReceived < c.BytesExpected
		if truncated != (c.Verdict == probe.Fail) || truncated && !c.RST {
			t.Errorf("%s: verdict %s with %d of %d bytes, rst %v", n, c.Verdict, c.BytesReceived, c.BytesExpected, c.RST)
		}
	}
}

func cells(got map[string]probe.Check) []string {
	var out []string
	for _, n := range matrixChecks {
		c := got[n]
		cell := string(c.Verdict)
		if c.Verdict == probe.Fail && c.BytesExpected > 0 {
			cell += fmt.Sprintf(" (%d KiB of %d)", c.BytesReceived>>10, c.BytesExpected>>10)
		}
		out = append(out, cell)
	}
	return out
}
