package lab_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

// TestRealDiagramGolden runs the seed's two experiments on the kernel and
// compares their sequence diagrams, times normalised, with golden files.
// Unlike the renderer's hand-built goldens, these hold the kernel to the
// exact packets, states and call results of experiments A and B: if a
// kernel (or the runner) starts answering differently, the diff shows where.
func TestRealDiagramGolden(t *testing.T) {
	testenv.RequireRoot(t)
	for _, name := range []string{"seed-close", "seed-shutdown"} {
		t.Run(name, func(t *testing.T) {
			s, err := lab.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			res := lab.RunScenario(context.Background(), s, nil)
			if len(res) != 1 || res[0].Err != "" {
				t.Fatalf("run: %+v", res)
			}
			var got bytes.Buffer
			if err := render.Diagram(&got, res[0], &render.Options{Width: 100, NormalizeTimes: true}); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", name+".golden"), got.Bytes())
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
