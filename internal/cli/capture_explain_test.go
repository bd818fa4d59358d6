package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/cli"
)

// TestCaptureReadExplain: capture -r FILE -explain says what teardown
// explain FILE says, line for line, on every test capture (tcpdump's), with
// and without -v and -port.
func TestCaptureReadExplain(t *testing.T) {
	files, err := filepath.Glob("../../explain/testdata/*.pcap*")
	if err != nil || len(files) < 5 {
		t.Fatalf("test captures: %v, %v", files, err)
	}
	for _, f := range files {
		for _, flags := range [][]string{nil, {"-v"}, {"-port", "9527"}} {
			t.Run(filepath.Base(f)+strings.Join(flags, ""), func(t *testing.T) {
				want, err := runExplain(t, nil, append([]string{f}, flags...)...)
				if err != nil {
					t.Fatalf("explain: %v", err)
				}
				var out, errb bytes.Buffer
				env := &cli.Env{Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errb}
				args := append([]string{"capture", "-r", f, "-explain"}, flags...)
				if err := cli.Run(context.Background(), env, args); err != nil {
					t.Fatalf("capture: %v; stderr: %s", err, errb.String())
				}
				if d := cmp.Diff(want, out.String()); d != "" {
					t.Errorf("capture -r -explain differs from explain (-explain +capture):\n%s", d)
				}
				if !strings.Contains(want, "TCP connection") {
					t.Errorf("explain printed no summary:\n%s", want)
				}
			})
		}
	}
}
