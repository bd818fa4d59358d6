package lab_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/lab"
)

// hostileSeeds start the fuzzer near the attacks of issue 9: paths out of
// /proc/sys/net, and every bound just crossed.
var hostileSeeds = []string{
	"scenario x\nsysctl net/../../../etc/passwd 1\nc: close\n",
	"scenario x\nsysctl net/ipv4/../../../../tmp/x 1\nc: close\n",
	"scenario x\nsysctl net/ipv4/conf/lo/../../../../../etc/shadow 1\nc: close\n",
	"scenario x\nsysctl net/ipv4/tcp_fin_timeout 2\nc: close\n",
	"scenario x\nvariant v one\nsysctl@v net/ipv4/tcp_rfc1337 1\nc: close\n",
	"scenario x\nsysctl net/ipv4/conf/all/forwarding 1\nc: close\n",
	"scenario x\nrepeat 100\nvariant a a\nvariant b b\nc: sleep 30s\n",
	"scenario x\nc: write \"123\"\nc: write 4194304\nc: read 1048576\n",
	"scenario x\nactor k process\nk: exit\nc: kill k\n",
	"scenario x\nclaims C01\nvariant a a\nc: close\nverdict@a C01 differs otherwise\n",
	// The wire (issue 13): links, hosts, per-host sysctls, fault steps and
	// the conditions that read the wire's marks.
	"scenario x\nwire ipv6 rtt=10s loss=100% seed=18446744073709551615 rate=100gbit\nactor c on a\nactor s on b\nc: close\n",
	"scenario x\nwire\nsysctl a net/ipv4/tcp_max_tw_buckets 0\nsysctl b net/ipv4/tcp_orphan_retries 1\nc: close\ns: close\n",
	"scenario x\nwire\nc: connect s\ns: listen\nwire: drop c>s F. count=1048576 after s>c F.\nwire: delay s>c P. 30s count=2\nwire: sleep 30s\nwire: signal go\n",
	"scenario x\nwire\nc: close\ns: close\nwire: hold s>c F.\nwire: release\nwire: cut c>s\nwire: heal\nwire: inject c>s R seq=+4294967295 ack=-1 len=1400\n",
	"scenario x\nwire\nc: close\ns: close\nexpect count c>s F. dropped = 1 and packet c>s F. before packet s>c R* and elapsed packet c>s F. .. packet c>s F. >= 30s\n",
	"scenario x\nwire\nc: close TCP_USER_TIMEOUT=67108864\nc: connect s SO_KEEPALIVE=1 TCP_KEEPIDLE=1 TCP_KEEPINTVL=1 TCP_KEEPCNT=2 TCP_LINGER2=1\ns: listen\n",
}

// checkParseError: every refusal of in-memory text names the file and a
// line of it (or the line just after the last).
func checkParseError(t *testing.T, text string, err error) {
	t.Helper()
	var pe *lab.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error is not a *ParseError (no file:line): %v", err)
	}
	if lines := strings.Count(text, "\n") + 1; pe.File != "fuzz.scn" || pe.Line < 1 || pe.Line > lines+1 {
		t.Fatalf("error at %s:%d, outside the %d lines: %v", pe.File, pe.Line, lines, err)
	}
}

// checkAccepted asserts what a parsed scenario may ask of the runner.
func checkAccepted(t *testing.T, s *lab.Scenario) {
	t.Helper()
	for _, sc := range s.Sysctls {
		checkSysctlPath(t, sc.Name)
	}
	counts := [][3]any{
		{"variants", len(s.Variants), lab.MaxVariants}, {"actors", len(s.Actors), lab.MaxActors},
		{"steps", len(s.Steps), lab.MaxSteps}, {"expects", len(s.Expects), lab.MaxExpects},
		{"rules", len(s.Rules), lab.MaxRules}, {"sysctls", len(s.Sysctls), lab.MaxSysctls},
		{"claims", len(s.Claims), lab.MaxClaims}, {"repeat", s.Repeat, lab.MaxRepeat},
		{"runs", max(s.Repeat, 1) * max(len(s.Variants), 1), lab.MaxRuns},
	}
	for _, c := range counts {
		if c[1].(int) > c[2].(int) {
			t.Fatalf("%s = %d, over the limit %d", c[0], c[1], c[2])
		}
	}
	for i := range s.Steps {
		checkStepBounds(t, &s.Steps[i])
		checkWireStepBounds(t, &s.Steps[i])
	}
	if s.Wire != nil && (s.Wire.Link.RTT > 10*time.Second || s.Wire.Link.Loss > 1 || s.Wire.Link.Rate < 0) {
		t.Fatalf("wire %q accepted", s.Wire)
	}
	for _, e := range s.Expects {
		if len(e.Cond) > lab.MaxAtoms {
			t.Fatalf("line %d: %d conditions accepted", e.Line, len(e.Cond))
		}
	}
	for _, r := range s.Rules {
		if len(r.Cond) > lab.MaxAtoms {
			t.Fatalf("line %d: %d conditions accepted", r.Line, len(r.Cond))
		}
	}
}

// checkSysctlPath: the file the runner would open is under /proc/sys/net,
// whichever way the name is read.
func checkSysctlPath(t *testing.T, name string) {
	t.Helper()
	p := filepath.Join("/proc/sys", name)
	if !strings.HasPrefix(p, "/proc/sys/net/") || filepath.Clean(name) != name || strings.ContainsAny(name, "\x00\\.") {
		t.Fatalf("sysctl %q leads to %s, outside /proc/sys/net", name, p)
	}
}

func checkStepBounds(t *testing.T, st *lab.Step) {
	t.Helper()
	for k, v := range st.Opts {
		if k == "wait" || k == "every" {
			if d, err := time.ParseDuration(v); err != nil || d > lab.MaxDuration {
				t.Fatalf("line %d: %s=%s accepted", st.Line, k, v)
			}
		}
	}
	switch st.Op {
	case "write", "send", "sendto":
		if n, ok := st.Size(len(st.Args) - 1); ok && (n < 0 || n > lab.MaxPayload) {
			t.Fatalf("line %d: %s of %d bytes accepted", st.Line, st.Op, n)
		}
	case "read":
		if n, ok := st.Size(0); ok && (n < 0 || n > lab.MaxReadCount) {
			t.Fatalf("line %d: read of %d bytes accepted", st.Line, n)
		}
	case "sleep", "fork-holder":
		if d, err := time.ParseDuration(st.Args[0]); err != nil || d > lab.MaxDuration {
			t.Fatalf("line %d: %s %s accepted", st.Line, st.Op, st.Args[0])
		}
	}
}

// checkWireStepBounds: a fault step holds or crafts a bounded amount.
func checkWireStepBounds(t *testing.T, st *lab.Step) {
	t.Helper()
	w := st.Wire
	if w == nil {
		return
	}
	if w.Count > 1<<20 || w.Delay > 30*time.Second || w.Len > 1400 || w.Len < 0 {
		t.Fatalf("line %d: wire step %q accepted", st.Line, w.Text)
	}
}
