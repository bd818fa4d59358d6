package explain_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/explain"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden: what users read, for the tcpdump captures. Their times come
// from the files, so the output is the same on every run.
func TestGolden(t *testing.T) {
	tests := []struct {
		golden string
		file   string
		cfg    explain.Config
	}{
		{"summary-expA.golden", "expA.pcap", explain.Config{}},
		{"summary-lostack-v.golden", "lostack.pcap", explain.Config{Verbose: true}},
		{"summary-http-close.golden", "http-close.pcap", explain.Config{}},
		{"conn-expA.golden", "expA.pcap", explain.Config{Conn: 1, Width: 80}},
		{"conn-expA-zh.golden", "expA.pcap", explain.Config{Conn: 1, Width: 80, Lang: "zh"}},
		{"conn-lostack.golden", "lostack.pcap", explain.Config{Conn: 1, Width: 80}},
		{"json-pipelined.golden", "http-pipelined.pcap", explain.Config{JSON: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			tt.cfg.Name = tt.file
			if _, err := explain.Run(f, &out, &tt.cfg); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if d := cmp.Diff(string(want), out.String()); d != "" {
				t.Errorf("output (-want +got):\n%s", d)
			}
		})
	}
}
