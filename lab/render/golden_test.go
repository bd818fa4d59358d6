package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// No sockets here, but the leak check is cheap and keeps the rule uniform.
func TestMain(m *testing.M) { testenv.Main(m) }

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./lab/render -update` to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestDiagramGolden(t *testing.T) {
	tests := []struct {
		name   string
		result lab.Result
		opts   render.Options
		file   string
	}{
		{"seed-close", seedClose(), render.Options{NormalizeTimes: true}, "seed-close.golden"},
		{"seed-shutdown", seedShutdown(), render.Options{NormalizeTimes: true}, "seed-shutdown.golden"},
		{"seed-close zh", seedClose(), render.Options{NormalizeTimes: true, Lang: "zh"}, "seed-close.zh.golden"},
		{"seed-shutdown real times", seedShutdown(), render.Options{}, "seed-shutdown.times.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render.Diagram(&b, tt.result, &tt.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, b.Bytes())
		})
	}
}
