package runner

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab"
)

// TestEveryOpRuns: every operation the parser accepts has exactly one entry
// in the runner's table, with something to run, and the runner knows no
// operation the parser would refuse.
func TestEveryOpRuns(t *testing.T) {
	if diff := cmp.Diff(lab.OpNames(), slices.Sorted(maps.Keys(ops))); diff != "" {
		t.Errorf("operations (-parser +runner):\n%s", diff)
	}
	for name, o := range ops {
		if o.ctl == nil && o.sock == nil {
			t.Errorf("op %s has nothing to run", name)
		}
	}
}
