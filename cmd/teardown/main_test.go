package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/internal/cli"
)

// TestReport: the line main prints and the exit code, for each way a
// command can end.
func TestReport(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		signalled bool
		wantCode  int
		wantLine  string
	}{
		{"ok", nil, false, 0, ""},
		{"ok after Ctrl-C (serve stops on it)", nil, true, 0, ""},
		{"failure", errors.New("lab: 1 of 30 scenarios failed"), false, 1, "teardown: lab: 1 of 30 scenarios failed\n"},
		{"usage", cli.Usagef("serve: -delay -1s is negative"), false, 2, "teardown: serve: -delay -1s is negative\n"},
		{"interrupted", context.Canceled, true, 130, "teardown: interrupted\n"},
		{"interrupted, wrapped", fmt.Errorf("lab: %w", context.Canceled), true, 130, "teardown: interrupted\n"},
		{"interrupted, with a report", cli.Interruptedf("bench: interrupted after 2 of 20 runs"), true, 130,
			"teardown: bench: interrupted after 2 of 20 runs\n"},
		{"bare teardown: the help said it", cli.Run(context.Background(), &cli.Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}}, nil), false, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if code := report(&b, tt.err, tt.signalled); code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if b.String() != tt.wantLine {
				t.Errorf("printed %q, want %q", b.String(), tt.wantLine)
			}
		})
	}
}

// TestDevNullIsNoTerminal: /dev/null is a character device, which the old
// check took for a terminal (colour codes in redirected output).
func TestDevNullIsNoTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if tty, width := terminal(f); tty || width != 0 {
		t.Errorf("terminal(/dev/null) = %v, %d; want false, 0", tty, width)
	}
}
