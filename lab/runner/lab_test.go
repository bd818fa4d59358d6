package runner_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/runner"
)

func TestMain(m *testing.M) {
	runner.RunIfChild() // process actors re-execute this test binary
	testenv.Main(m)
}

// catalogNames are the scenarios of SCENARIOS.md: the names are stable and
// the catalog must hold every one of them.
var catalogNames = []string{
	"seed-close", "seed-shutdown", "close-unread", "close-after-read", "linger-abort", "linger-wait",
	"linger-expire", "linger-nonblock", "shut-rd", "shut-rdwr", "dup-close", "fork-close", "exit-fin",
	"kill9-fin", "write-after-close", "sigpipe-default", "reuseaddr", "orphan-finwait2", "four-way",
	"closewait-leak", "backlog", "udp-connect", "udp-reconnect", "pipelined-close", "outq", "half-close-echo",
	// The lab's wire (issue 13 §4).
	"lost-last-ack", "lost-last-ack-no-timewait", "old-duplicate", "lost-fin", "orphan-fin-retries",
	"user-timeout", "keepalive", "lost-rst", "reordered-fin", "zero-window-close", "seed-close-rtt",
	"pipelined-close-rtt", "timewait-rst",
}

func TestCatalogComplete(t *testing.T) {
	all, err := lab.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range all {
		got = append(got, s.Name)
		if s.File != "scenarios/"+s.Name+".scn" {
			t.Errorf("scenario %s lives in %s: the file must be named after it", s.Name, s.File)
		}
		checkTexts(t, s)
	}
	want := slices.Clone(catalogNames)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalog names (-want +got):\n%s", diff)
	}
}

// checkTexts: every claim has a verdict rule and its texts in both
// languages, so no verdict is printed without its explanation.
func checkTexts(t *testing.T, s *lab.Scenario) {
	t.Helper()
	for _, c := range s.Claims {
		tx := s.Texts[c]
		if tx == nil || tx.Said == "" || tx.SaidZh == "" || tx.Why == "" || tx.WhyZh == "" {
			t.Errorf("%s: claim %s lacks said/said.zh/why/why.zh", s.Name, c)
		}
		if !slices.ContainsFunc(s.Rules, func(r lab.Rule) bool { return r.Claim == c }) {
			t.Errorf("%s: claim %s has no verdict rule", s.Name, c)
		}
	}
	if len(s.Expects) == 0 {
		t.Errorf("%s: no expect lines: the kernel's behaviour is not held in CI", s.Name)
	}
}

// TestCatalog runs the whole catalog and checks that every expect line of
// every scenario holds. Without root the packet and state expectations are
// skipped (never guessed) and namespace scenarios cannot run; the wire
// subtest then skips (and fails under CI=true). In CI (CI=true, without
// -short) the catalog runs 5 times and every run must show the same packet
// sequences and call results; a developer's `go test ./lab/` runs it once,
// which keeps it to a few seconds.
func TestCatalog(t *testing.T) {
	all, err := lab.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	runs := 1
	if os.Getenv("CI") == "true" && !testing.Short() {
		runs = 5
	}
	var first map[string][]string
	var firstRes []lab.Result
	for i := range runs {
		res := runner.RunAll(context.Background(), all, nil, 0, nil)
		checkResults(t, i, res)
		sig := signatures(res)
		if i == 0 {
			first, firstRes = sig, res
			continue
		}
		for name, got := range sig {
			want, ok := first[name]
			if !ok {
				continue // inconclusive in run 1
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("run %d: %s differs from run 1 (-run1 +run%d):\n%s\nrun 1:\n%s\nrun %d:\n%s", i+1, name, i+1, diff,
					packetsOf(firstRes, name), i+1, packetsOf(res, name))
			}
		}
	}
	t.Run("wire", func(t *testing.T) { testenv.RequireRoot(t) })
}

func checkResults(t *testing.T, run int, res []lab.Result) {
	t.Helper()
	for _, r := range res {
		name := r.Name + "/" + r.Variant
		switch {
		case r.Status == lab.StatusSkipped && !testenv.IsRoot():
			continue // needs root: the wire subtest reports it
		case r.Status == lab.StatusInconclusive:
			// The recorders lost events (the machine is overloaded): the
			// run proves nothing either way, and says so.
			t.Logf("run %d: %s: %s", run+1, name, r.Reason)
			continue
		case r.Err != "" || r.Status == lab.StatusSkipped:
			t.Errorf("run %d: %s could not run: %s%s", run+1, name, r.Err, r.Reason)
		}
		for _, e := range r.Expects {
			if !e.OK && !e.Skipped {
				t.Errorf("run %d: %s:%d: expect %s; got %s\n%s", run+1, name, e.Line, e.Text, e.Got, timelineOf(r))
			}
			if e.Skipped && testenv.IsRoot() {
				t.Errorf("run %d: %s:%d: expect %s skipped although root", run+1, name, e.Line, e.Text)
			}
		}
	}
}

// signatures reduce each run to what must not change between runs: per
// actor, its calls and their results in order; per direction, the control
// packets (SYN, FIN, RST) in order. Actors run concurrently, so how their
// lines interleave may vary; and data segments are left out, since how the
// kernel cuts a stream into segments depends on timing. Runs whose
// recorders lost events are left out: they are inconclusive, not different.
func signatures(res []lab.Result) map[string][]string {
	out := map[string][]string{}
	for _, r := range res {
		if r.Status == lab.StatusInconclusive {
			continue
		}
		seqs := map[string][]string{}
		sent := map[string]bool{}
		for _, e := range r.Events {
			switch {
			case e.Packet != nil && strings.ContainsAny(e.Packet.Flags, "SFR"):
				k := e.Packet.From + ">" + e.Packet.To
				// A FIN may ride on the last data segment or follow it
				// alone, depending on timing: PSH is left out. A
				// retransmission is timing too: it repeats the flags at
				// the same place in the sequence space — for a FIN the
				// number the FIN itself occupies (seq + len), since a
				// retransmission may collapse the last data segment and
				// the FIN into one (seen under load: "F. F.").
				f := strings.ReplaceAll(e.Packet.Flags, "P", "")
				pos := e.Packet.Seq
				if strings.Contains(f, "F") {
					pos += uint32(e.Packet.Len)
				}
				if id := fmt.Sprint(k, f, pos); !sent[id] {
					sent[id] = true
					// A socket that is gone answers each segment that still
					// arrives with its own RST: how many arrive is timing.
					// So does a socket that has just reset the connection
					// itself ([R.]): a segment the peer sent before that RST
					// reached it is processed after the socket is gone, under
					// load (captured before the [R.], answered with an [R]
					// after it: pipelined-close/small-close, once in a soak).
					if n := len(seqs[k]); f == "R" && n > 0 && (seqs[k][n-1] == "R" || seqs[k][n-1] == "R.") {
						continue
					}
					// And after a clean end (both sides sent their FIN) a
					// late segment can meet a socket already gone: a
					// duplicate ACK from the TIME-WAIT side reaching the
					// passive closer after its last ACK, answered by its
					// listener with an [R] (reproduced, docs/performance.md
					// "Late resets"); seen once the other way round in a soak.
					if f == "R" && slices.Contains(seqs[k], "F.") && slices.Contains(seqs[reverse(k)], "F.") {
						continue
					}
					seqs[k] = append(seqs[k], f)
				}
			case e.Call != nil && volatile(e.Call) == "":
				seqs[e.Call.Actor] = append(seqs[e.Call.Actor], e.Call.Op+"="+e.Call.Result)
			}
		}
		name := r.Name + "/" + r.Variant
		for _, k := range slices.Sorted(maps.Keys(seqs)) {
			out[name] = append(out[name], fmt.Sprintf("%s: %s", k, strings.Join(seqs[k], " ")))
		}
	}
	return out
}

// reverse turns a direction "a>b" into "b>a".
func reverse(dir string) string {
	from, to, _ := strings.Cut(dir, ">")
	return to + ">" + from
}

// volatile names calls whose result is a measurement rather than a
// behaviour: how much fits into buffers, queue sizes sampled while data
// moves.
func volatile(c *lab.Call) string {
	if c.Op == "ioctl" || c.Args == "until EAGAIN" {
		return "measurement"
	}
	return ""
}

// packetsOf lists the packets of the run named name ("scenario/variant"),
// to tell what differed between two runs.
func packetsOf(res []lab.Result, name string) string {
	var b strings.Builder
	for _, r := range res {
		if r.Name+"/"+r.Variant != name {
			continue
		}
		for _, e := range r.Events {
			if p := e.Packet; p != nil {
				fmt.Fprintf(&b, "\t%9.3fms %s>%s [%s] seq %d ack %d len %d\n", float64(e.T)/1e6, p.From, p.To, p.Flags, p.Seq, p.Ack, p.Len)
			}
		}
	}
	return b.String()
}

// timelineOf lists a run's calls, packets, state changes and socket-table
// rows, to tell what happened when an expectation failed.
func timelineOf(r lab.Result) string {
	var b strings.Builder
	for _, e := range r.Events {
		ms := float64(e.T) / 1e6
		switch {
		case e.Call != nil:
			c := e.Call
			fmt.Fprintf(&b, "\t%9.3fms %s %s(%s) = %s [%v] %d bytes\n", ms, c.Actor, c.Op, c.Args, c.Result, c.Dur, c.Bytes)
		case e.Packet != nil:
			p := e.Packet
			fmt.Fprintf(&b, "\t%9.3fms %s>%s [%s] seq %d ack %d len %d\n", ms, p.From, p.To, p.Flags, p.Seq, p.Ack, p.Len)
		case e.State != nil:
			fmt.Fprintf(&b, "\t%9.3fms %s %s → %s\n", ms, e.State.Actor, e.State.From, e.State.To)
		case e.Snapshot != nil:
			for _, row := range e.Snapshot.Rows {
				fmt.Fprintf(&b, "\t%9.3fms ss: %s %s\n", ms, row.Actor, row.State)
			}
		}
	}
	return b.String()
}
