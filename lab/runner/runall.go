package runner

import (
	"context"
	"slices"
	"sync"

	"github.com/tcpteardown/teardown/lab"
)

// RunAll runs scenarios in parallel (at most parallel at a time; < 1 means
// 8) and returns their results in the order given, variants after each
// other. progress, if set, is called after each scenario with how many are
// done and the name of one still running ("" at the end).
func RunAll(ctx context.Context, scenarios []*lab.Scenario, o *Options, parallel int, progress func(done, total int, running string)) []lab.Result {
	if parallel < 1 {
		parallel = 8
	}
	out := make([][]lab.Result, len(scenarios))
	sem := make(chan struct{}, parallel)
	var mu sync.Mutex
	var wg sync.WaitGroup
	running := map[string]bool{}
	done := 0
	for _, i := range longestFirst(scenarios) {
		s := scenarios[i]
		wg.Add(1)
		started := make(chan struct{})
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			close(started)
			mu.Lock()
			running[s.Name] = true
			mu.Unlock()
			out[i] = RunScenario(ctx, s, o)
			<-sem
			mu.Lock()
			defer mu.Unlock()
			delete(running, s.Name)
			done++
			if progress != nil {
				progress(done, len(scenarios), anyKey(running))
			}
		}()
		<-started // slots are taken in this order
	}
	wg.Wait()
	var all []lab.Result
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all
}

// longestFirst orders the scenarios by how many runs they make (repeat ×
// variants), most first, and otherwise as given: the catalog's wall time
// is that of its longest scenario (pipelined-close: 80 runs) plus the time
// it waited for a free slot, so it starts at once.
func longestFirst(scenarios []*lab.Scenario) []int {
	idx := make([]int, len(scenarios))
	for i := range idx {
		idx[i] = i
	}
	runs := func(s *lab.Scenario) int { return max(s.Repeat, 1) * max(len(s.Variants), 1) }
	slices.SortStableFunc(idx, func(a, b int) int { return runs(scenarios[b]) - runs(scenarios[a]) })
	return idx
}

func anyKey(m map[string]bool) string {
	best := ""
	for k := range m {
		if best == "" || k < best {
			best = k
		}
	}
	return best
}
