package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Verdict is a check's conclusion.
type Verdict string

// The verdicts, from best to worst, and n/a for a check that could not
// apply (a raw-TCP server without -expect-close, no -restart-cmd).
const (
	OK   Verdict = "ok"   // the evidence shows no data lost and a graceful close
	Risk Verdict = "risk" // nothing lost this time, but the close could lose data (an RST, a missing FIN)
	Fail Verdict = "fail" // data was lost, or the server stopped answering
	NA   Verdict = "n/a"  // the check does not apply to this server or these flags
)

// Config says what to probe and how.
type Config struct {
	Addr string // HOST:PORT, as the user named it

	// Raw, when non-nil, is the request of a raw TCP protocol (-send);
	// otherwise the server speaks HTTP/1.1.
	Raw         []byte
	ExpectClose bool // raw: the server closes after its reply
	ReplySize   int  // raw: bytes of one reply (0: unknown, read to EOF)

	Path    string   // HTTP: the resource of every request (default "/")
	Host    string   // HTTP: the Host header (default: Addr)
	Headers []Header // HTTP: extra headers of every request
	Large   string   // HTTP: a resource of ≥ 256 KiB for the checks that need data in flight

	MaxWait time.Duration // bound of every wait (default 30 s)
	Only    []string      // check names to run (default: all that apply)
	// RestartCmd is run by the shutdown check with "sh -c" while
	// connections are in flight; empty leaves shutdown out.
	RestartCmd string
	// Packets captures the probe's own connections on Interface (root only).
	Packets bool
	// Interface is where to capture, default "lo". It must see the
	// datagram to 127.0.0.1 that marks the capture's end (lo or any).
	Interface string
	// Progress, when set, is called once per check as it ends (from the
	// check's goroutine: calls may come from several goroutines at once,
	// but never two for the same check).
	Progress func(Check)
}

// Header is one request header line, "Name: value".
type Header struct{ Name, Value string }

// Report is the result of a probe: the JSON of `teardown probe -json`.
type Report struct {
	Target string   `json:"target"`
	HTTP   bool     `json:"http"`
	Checks []Check  `json:"checks"`
	Notes  []string `json:"notes,omitempty"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Checks, func(c Check) bool { return c.Verdict == Fail })
}

// DefaultMaxWait bounds every wait when Config.MaxWait is zero.
const DefaultMaxWait = 30 * time.Second

// ErrNoAnswer is wrapped by Run when the server accepted the connection but
// sent nothing back to the first request within MaxWait.
var ErrNoAnswer = errors.New("server never answered")

// ErrNotHTTP is wrapped by Run when the server answered, but not with an
// HTTP/1.x status line.
var ErrNotHTTP = errors.New("server does not speak HTTP/1.x")

// Run probes cfg.Addr. It returns an error only when the probe could not
// start: an unreachable host, a refused port, a server that never answers,
// or a non-HTTP server probed as HTTP. Everything else is a Check.
func Run(ctx context.Context, cfg *Config) (*Report, error) {
	t, err := newTarget(cfg)
	if err != nil {
		return nil, err
	}
	if err := t.preflight(ctx); err != nil {
		return nil, err
	}
	rec, note := startRecorder(t)
	rep := &Report{Target: cfg.Addr, HTTP: t.raw == nil}
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	if n := t.sizeNote(); n != "" {
		rep.Notes = append(rep.Notes, n)
	}
	rep.Checks = t.runAll(ctx, rec)
	if n := rec.captureNote(); n != "" {
		rep.Notes = append(rep.Notes, n)
	}
	return rep, nil
}

// Names lists every check in the order of the report.
func Names() []string {
	out := make([]string, len(checks))
	for i, c := range checks {
		out[i] = c.name
	}
	return out
}

// ValidNames checks a -only list, returning an error naming the unknown one.
func ValidNames(names []string) error {
	for _, n := range names {
		if !slices.Contains(Names(), n) {
			return fmt.Errorf("unknown check %q (the checks: %s)", n, strings.Join(Names(), ", "))
		}
	}
	return nil
}

// checkFunc runs one check on fresh connections.
type checkFunc func(ctx context.Context, t *target, c *Check)

type checkDef struct {
	name string
	run  checkFunc
}

// checks is the battery, in report order.
var checks = []checkDef{
	{"close-after-reply", closeAfterReply},
	{"pipelined-close", pipelinedClose},
	{"late-request", lateRequest},
	{"client-half-close", clientHalfClose},
	{"early-response", earlyResponse},
	{"idle", idle},
	{"slow-reader", slowReader},
	{"abort-handling", abortHandling},
	{"shutdown", shutdown},
}

// runAll runs the selected checks at once (each waits on its own
// connections, so the battery takes about the longest one), except
// shutdown, which restarts the server and so runs alone at the end.
func (t *target) runAll(ctx context.Context, rec *recorder) []Check {
	out := make([]Check, len(checks))
	var wg sync.WaitGroup
	runOne := func(i int) {
		c := &out[i]
		c.Name = checks[i].name
		start := time.Now()
		// The log exists before the check runs: a check's goroutines
		// (idle's two connections, shutdown's replies) share it.
		c.log = &callLog{start: start}
		checks[i].run(ctx, t, c)
		c.DurationMs = ms(time.Since(start))
		if t.cfg.Progress != nil {
			t.cfg.Progress(*c)
		}
	}
	var last []int
	for i, d := range checks {
		if !t.selected(d.name) {
			continue
		}
		if d.name == "shutdown" {
			last = append(last, i)
			continue
		}
		wg.Go(func() { runOne(i) })
	}
	wg.Wait()
	for _, i := range last {
		runOne(i)
	}
	rec.stop()
	for i := range out {
		rec.attach(&out[i])
	}
	return slices.DeleteFunc(out, func(c Check) bool { return c.Name == "" })
}

func (t *target) selected(name string) bool {
	return len(t.cfg.Only) == 0 || slices.Contains(t.cfg.Only, name)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
