package runner

import (
	"context"
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
	for i, s := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
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
	}
	wg.Wait()
	var all []lab.Result
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all
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
