package runner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tcpteardown/teardown/lab"
)

// runRepeated runs a variant s.Repeat times. Every run records what the
// first does (calls, and packets and states when it may), so expectations
// and verdicts read the same kind of evidence in each: when later runs
// recorded calls only, a verdict about states held in run 1 and was "not
// observed" in the others, and came out "partly" for no reason of the
// kernel's. The first run gives the Result its timeline (and the -pcap
// file); an expectation holds when it held in every run; a verdict that
// changed between runs becomes "partly" and says how often each came out.
func runRepeated(ctx context.Context, s *lab.Scenario, v lab.Variant, o *Options) lab.Result {
	res := runVariant(ctx, s, v, o)
	if s.Repeat <= 1 || res.Err != "" || res.Status == lab.StatusSkipped || res.Status == lab.StatusInterrupted {
		return res
	}
	rest := *o
	rest.PcapDir = ""
	runs := []lab.Result{res}
	for i := 1; i < s.Repeat && ctx.Err() == nil; i++ {
		runs = append(runs, runVariant(ctx, s, v, &rest))
	}
	mergeRuns(&res, runs)
	if len(runs) < s.Repeat {
		res.Status, res.Passed, res.Reason = lab.StatusInterrupted, false, fmt.Sprintf("stopped after %d of %d runs", len(runs), s.Repeat)
	}
	return res
}

// runVariants runs every chosen variant; repeated scenarios run their
// variants in parallel, since each repeats many times.
func runVariants(ctx context.Context, s *lab.Scenario, vs []lab.Variant, o *Options) []lab.Result {
	out := make([]lab.Result, len(vs))
	if s.Repeat <= 1 {
		for i, v := range vs {
			out[i] = runRepeated(ctx, s, v, o)
		}
		return out
	}
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = runRepeated(ctx, s, v, o) }()
	}
	wg.Wait()
	return out
}

func mergeRuns(res *lab.Result, runs []lab.Result) {
	for i := range res.Expects {
		for k, r := range runs {
			if e := r.Expects[i]; !e.OK && !e.Skipped && res.Expects[i].OK {
				res.Expects[i].OK, res.Expects[i].Got = false, fmt.Sprintf("run %d of %d: %s", k+1, len(runs), e.Got)
			}
		}
	}
	for i := range res.Verdicts {
		mergeVerdict(&res.Verdicts[i], i, runs)
	}
	res.Notes = append(res.Notes, tally(runs)...)
	for k, r := range runs[1:] {
		res.Duration += r.Duration
		if r.Err != "" && res.Err == "" {
			res.Err = fmt.Sprintf("run %d of %d: %s", k+2, len(runs), r.Err)
		}
		res.Loss = addLoss(res.Loss, r.Loss)
	}
	interrupted := slices.ContainsFunc(runs, func(r lab.Result) bool { return r.Status == lab.StatusInterrupted })
	setStatus(res)
	if interrupted {
		res.Status, res.Passed, res.Reason = lab.StatusInterrupted, false, fmt.Sprintf("stopped after %d of %d runs", len(runs)-1, len(runs))
	}
}

// addLoss sums the losses of two runs.
func addLoss(a, b *lab.Loss) *lab.Loss {
	if !b.Any() {
		return a
	}
	sum := lab.Loss{}
	if a != nil {
		sum = *a
	}
	sum.CaptureDrops += b.CaptureDrops
	sum.TraceLost += b.TraceLost
	sum.Undrained = sum.Undrained || b.Undrained
	if sum.RecorderErr == "" {
		sum.RecorderErr = b.RecorderErr
	}
	return &sum
}

// mergeVerdict keeps a verdict every run agreed on; otherwise it is
// "partly", with the count of each outcome in front of what was observed.
func mergeVerdict(v *lab.Verdict, i int, runs []lab.Result) {
	count := map[string]int{}
	for _, r := range runs {
		if i < len(r.Verdicts) {
			count[string(r.Verdicts[i].Verdict)]++
		}
	}
	if len(count) == 1 {
		v.Observed = fmt.Sprintf("in all %d runs: %s", len(runs), v.Observed)
		return
	}
	var parts []string
	for _, k := range sortedKeys(count) {
		parts = append(parts, fmt.Sprintf("%s in %d", k, count[k]))
	}
	v.Verdict = lab.Partly
	v.Observed = fmt.Sprintf("%s of %d runs; first run: %s", strings.Join(parts, ", "), len(runs), v.Observed)
}

// tally counts, over all runs, how each read-like call ended and how many
// bytes it brought: "client read#1: ECONNRESET after 6 bytes ×3, EOF after
// 6 bytes ×17".
func tally(runs []lab.Result) []string {
	outcomes := map[string]map[string]int{}
	var order []string
	for _, r := range runs {
		n := map[string]int{}
		for _, e := range r.Events {
			c := e.Call
			if c == nil || (c.Op != "read" && c.Op != "recv" && c.Op != "echo") {
				continue
			}
			n[c.Actor+c.Op]++
			key := fmt.Sprintf("%s %s#%d", c.Actor, c.Op, n[c.Actor+c.Op])
			if outcomes[key] == nil {
				outcomes[key] = map[string]int{}
				order = append(order, key)
			}
			outcomes[key][fmt.Sprintf("%s after %d bytes", c.Result, c.Bytes)]++
		}
	}
	var out []string
	for _, key := range order {
		var parts []string
		for _, o := range sortedKeys(outcomes[key]) {
			parts = append(parts, fmt.Sprintf("%s ×%d", o, outcomes[key][o]))
		}
		out = append(out, fmt.Sprintf("%d runs: %s: %s", len(runs), key, strings.Join(parts, ", ")))
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
