package explain_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/tcpteardown/teardown/explain"
)

// FuzzRun: any file gives an explanation or one error, never a panic, in
// every output form.
func FuzzRun(f *testing.F) {
	// Small seeds: with the 7–16 KiB captures the fuzzer made no progress
	// on this machine (its mutator spends its time on the big inputs).
	for _, p := range []string{"testdata/expA.pcap", "testdata/expB.pcapng", "testdata/lostack.pcap", "testdata/refused.pcap"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, file []byte, form uint8) {
		cfg := &explain.Config{Name: "fuzz", JSON: form%3 == 1, Verbose: true, Lang: []string{"en", "zh"}[form%2]}
		if form%3 == 2 {
			cfg.Conn = 1
		}
		explain.Run(bytes.NewReader(file), &bytes.Buffer{}, cfg)
	})
}
