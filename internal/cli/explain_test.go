package cli_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/internal/cli"
)

// runExplain runs `teardown explain args…` with stdin and returns stdout
// and the error.
func runExplain(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb}
	err := cli.Run(context.Background(), env, append([]string{"explain"}, args...))
	return out.String(), err
}

const expA = "../../explain/testdata/expA.pcap"

func TestExplainFileAndStdin(t *testing.T) {
	fromFile, err := runExplain(t, nil, expA)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(expA)
	if err != nil {
		t.Fatal(err)
	}
	fromStdin, err := runExplain(t, file, "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fromFile, "reset-after-close") {
		t.Errorf("no diagnosis in:\n%s", fromFile)
	}
	// Only the name differs: "expA.pcap: …" and "-: …".
	if strings.SplitN(fromFile, ":", 2)[1] != strings.SplitN(fromStdin, ":", 2)[1] {
		t.Errorf("file and stdin differ:\n%s\n---\n%s", fromFile, fromStdin)
	}
}

// TestExplainFlagsAfterFile: flags may follow the file, as with the other
// commands.
func TestExplainFlagsAfterFile(t *testing.T) {
	out, err := runExplain(t, nil, expA, "-json", "-port", "9527")
	if err != nil || !strings.HasPrefix(out, "{") || !strings.Contains(out, `"ending":"reset-after-close"`) {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}

func TestExplainErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", nil, 2, "want one capture file"},
		{"two files", []string{expA, expA}, 2, "want one capture file"},
		{"bad port", []string{"-port", "70000", expA}, 2, "not a port"},
		{"bad lang", []string{"-lang", "fr", expA}, 2, "use en or zh"},
		{"negative conn", []string{"-conn", "-1", expA}, 2, "numbered from 1"},
		{"missing file", []string{"/nonexistent/x.pcap"}, 1, "no such file"},
		{"directory", []string{"."}, 1, "is a directory"},
		{"not a capture", []string{"explain_test.go"}, 1, "not a pcap or pcapng file"},
		{"no such connection", []string{"-conn", "5", expA}, 1, "has no connection #5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runExplain(t, nil, tt.args...)
			if err == nil || cli.Code(err) != tt.code || !strings.Contains(err.Error(), tt.want) || strings.Contains(cli.OneLine(err), "\n") {
				t.Errorf("err %v (exit %d), want exit %d and %q", err, cli.Code(err), tt.code, tt.want)
			}
		})
	}
}

// TestExplainHTML: -html draws each listed connection with the lab's
// renderer: one section per connection, an arrow per packet, the ending as
// its badge. Experiment A's capture has one connection of 9 packets.
func TestExplainHTML(t *testing.T) {
	page := t.TempDir() + "/explain.html"
	if _, err := runExplain(t, nil, expA, "-html", page); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, `<section id="conn-`); n != 1 {
		t.Errorf("%d connection sections, want 1", n)
	}
	if n := strings.Count(html, `class="packet`); n != 9 {
		t.Errorf("%d packet arrows, want 9", n)
	}
	if !strings.Contains(html, `badge fail">reset-after-close`) {
		t.Errorf("the connection is not labelled with its ending")
	}
}
