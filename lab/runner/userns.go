package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
)

// Without root, a wire scenario can still run where unprivileged user
// namespaces are allowed (issue 13 §5): this program starts itself again
// in a new user and network namespace (wire.UserNS), where it is root over
// what that namespace owns, builds the wire there and runs the scenario.
// The wire records every packet; tracefs belongs to the real root, so the
// states are missing and conditions on them are unknown. When the child
// exits, its namespaces, TUN devices and sockets go with it, whatever
// happened (Ctrl-C kills it).

// NoteUserNS is the note of a wire scenario that ran in a user namespace.
const NoteUserNS = "ran inside an unprivileged user namespace: the wire recorded the packets"

// wireChildMode is childEnv's value for such a child.
const wireChildMode = "wire-userns"

// inUserNS is set in that child: ports are not claimed on the host (the
// child's own namespace has only a down lo, and no tracer needs them).
var inUserNS bool

// userNSRequest is what the parent writes to the child's stdin.
type userNSRequest struct {
	File, Source string
	Options      Options
}

// userNSResult is one Result as the child returns it, with what JSON
// leaves out of a Result.
type userNSResult struct {
	Result   lab.Result
	Duration time.Duration
}

// wantsUserNS reports whether s must run in a user namespace: a wire
// scenario, not root (or Options.UserNS), in a process that is not such a
// child already, where wire.Preflight sees nothing in the way.
func wantsUserNS(s *lab.Scenario, o *Options) bool {
	if s.Wire == nil || inUserNS || o.NoWire {
		return false
	}
	return o.UserNS || os.Geteuid() != 0 && wire.Preflight() == nil
}

// runInUserNS runs the chosen variants of s in a child process inside a
// new user namespace and returns its results.
func runInUserNS(ctx context.Context, s *lab.Scenario, o *Options, chosen []lab.Variant) []lab.Result {
	out, err := userNSChild(ctx, s, o)
	if err != nil {
		return failedAll(ctx, s, chosen, err)
	}
	var got []userNSResult
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(chosen) {
		return failedAll(ctx, s, chosen, fmt.Errorf("lab: the user-namespace child answered %d results for %d variants: %v", len(got), len(chosen), err))
	}
	res := make([]lab.Result, len(got))
	for i, g := range got {
		res[i], res[i].Duration = g.Result, g.Duration
		refillTexts(s, &res[i]) // the Chinese texts are not part of the JSON
	}
	return res
}

func userNSChild(ctx context.Context, s *lab.Scenario, o *Options) ([]byte, error) {
	opts := *o
	opts.UserNS = false
	req, err := json.Marshal(userNSRequest{File: s.File, Source: s.Source, Options: opts})
	if err != nil {
		return nil, fmt.Errorf("lab: %s for a user namespace: %w", s.Name, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("lab: find this program to run %s in a user namespace: %w", s.Name, err)
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$") // see childEnv
	cmd.Env = append(os.Environ(), childEnv+"="+wireChildMode)
	cmd.SysProcAttr = wire.UserNS()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(req), &stdout, &limited{w: &stderr, left: 4096}
	if err := startWhenNoClose(cmd.Start); err != nil {
		return nil, fmt.Errorf("lab: start %s in a user namespace: %w", s.Name, err)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("lab: %s in a user namespace: %w %s", s.Name, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// failedAll reports every chosen variant as failed with err, or as
// interrupted when the caller cancelled.
func failedAll(ctx context.Context, s *lab.Scenario, chosen []lab.Variant, err error) []lab.Result {
	out := make([]lab.Result, len(chosen))
	for i, v := range chosen {
		r := lab.Result{Name: s.Name, Variant: v.Name, Title: s.Title, Claims: s.Claims, Status: lab.StatusFailed, Err: err.Error()}
		if ctx.Err() != nil {
			r.Status, r.Err, r.Reason = lab.StatusInterrupted, "", "stopped before the end: "+ctx.Err().Error()
		}
		for _, a := range s.Actors {
			r.Actors = append(r.Actors, a.Name)
		}
		out[i] = r
	}
	return out
}

func refillTexts(s *lab.Scenario, r *lab.Result) {
	for i := range r.Verdicts {
		if t := s.Texts[r.Verdicts[i].Claim]; t != nil {
			r.Verdicts[i].SaidZh, r.Verdicts[i].WhyZh = t.SaidZh, t.WhyZh
		}
	}
}

// wireChildMain runs in the user-namespace child: one scenario, its
// results as JSON on stdout.
func wireChildMain() int {
	inUserNS = true
	var req userNSRequest
	if err := json.NewDecoder(io.LimitReader(os.Stdin, 2*lab.MaxFileBytes)).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "lab: user-namespace child:", err)
		return 1
	}
	s, err := lab.Parse(req.File, strings.NewReader(req.Source))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var out []userNSResult
	for _, r := range RunScenario(context.Background(), s, &req.Options) {
		r.Notes = append(r.Notes, NoteUserNS)
		out = append(out, userNSResult{Result: r, Duration: r.Duration})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "lab: user-namespace child:", err)
		return 1
	}
	return 0
}

// limited keeps the first bytes written to it and drops the rest: a
// child's error output is shown in one line.
type limited struct {
	w    io.Writer
	left int
}

func (l *limited) Write(p []byte) (int, error) {
	n := len(p)
	if l.left > 0 {
		k := min(n, l.left)
		_, _ = l.w.Write(p[:k]) // a bytes.Buffer: it does not fail
		l.left -= k
	}
	return n, nil
}
