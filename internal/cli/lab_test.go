package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
)

func labCmd(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	err = cli.Run(context.Background(), env, append([]string{"lab"}, args...))
	return out.String(), errb.String(), err
}

func TestLabList(t *testing.T) {
	out, _, err := labCmd("list")
	if err != nil {
		t.Fatal(err)
	}
	all, _ := lab.Catalog()
	var want, got []string
	for _, s := range all {
		want = append(want, s.Name)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, " ") {
			got = append(got, strings.Fields(line)[0])
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lab list names (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "variants: close, shutdown\n") {
		t.Errorf("lab list does not show fork-close's variants:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 80 {
			t.Errorf("lab list line wider than 80 columns: %q", line)
		}
	}
}

func TestLabBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"run", "no-such"}, `no scenario "no-such"`},
		{"no name", []string{"run"}, "name a scenario"},
		{"bad lang", []string{"-lang", "fr"}, "-lang must be en or zh"},
		{"bad subcommand", []string{"frob"}, `unknown subcommand "frob"`},
		{"bad variant", []string{"run", "-variant", "nope", "fork-close"}, `has no variant "nope" (it has close, shutdown)`},
		{"no pcap dir", []string{"run", "-pcap", "/nonexistent/dir", "seed-close"}, "not a directory"},
		{"missing file", []string{"run", "./missing.scn"}, "missing.scn"},
		{"stray argument after list", []string{"list", "extra"}, `unexpected argument "extra"`},
		{"no parallelism", []string{"-j", "0"}, "-j 0: run at least 1"},
		{"no parallelism after run", []string{"run", "seed-close", "-j", "-1"}, "-j -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := labCmd(tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if code := cli.Code(err); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
		})
	}
}

// TestLabRunJSON runs the seed's experiment through the command and reads
// its JSON back: the result held and, as root, packets were recorded.
func TestLabRunJSON(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "-json", "seed-close"}
	if testenv.IsRoot() {
		args = []string{"run", "-json", "-pcap", dir, "seed-close"}
	}
	out, _, err := labCmd(args...)
	if err != nil {
		t.Fatal(err)
	}
	var run lab.Run
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(run.Scenarios) != 1 || !run.Scenarios[0].Passed || run.Scenarios[0].Name != "seed-close" {
		t.Fatalf("want one passed seed-close, got %+v", run.Scenarios)
	}
	if run.Schema != lab.SchemaVersion || run.Scenarios[0].Status != lab.StatusPassed {
		t.Errorf("schema_version %d, status %q; want %d, %q", run.Schema, run.Scenarios[0].Status, lab.SchemaVersion, lab.StatusPassed)
	}
	if !strings.Contains(out, `"kind": "call"`) || !strings.Contains(out, `"result": "EPIPE"`) {
		t.Errorf("JSON lacks the calls:\n%s", out)
	}
	testenv.RequireRoot(t)
	if !strings.Contains(out, `"flags": "R"`) {
		t.Errorf("JSON lacks the client's RST packet")
	}
	st, err := os.Stat(filepath.Join(dir, "seed-close.pcap"))
	if err != nil || st.Size() <= 24 {
		t.Errorf("pcap file missing or empty: %v", err)
	}
}

// TestLabPcapAfterRun: flags after the names count (`lab run NAME -pcap
// DIR`), and each run gets its own file.
func TestLabPcapAfterRun(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	for range 2 {
		if _, _, err := labCmd("run", "seed-close", "-pcap", dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"seed-close.pcap", "seed-close-2.pcap"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() <= 24 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
}

func TestLabRunDiagram(t *testing.T) {
	out, _, err := labCmd("run", "-lang", "zh", "close-after-read")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"close-after-read", "C21", "close() = ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("diagram lacks %q:\n%s", want, out)
		}
	}
}

// TestLabHTMLAndSVG: `lab run NAME -html FILE -svg DIR` writes the report
// and one diagram per run, each drawing every packet of the run (the
// markup contract of docs/report.md).
func TestLabHTMLAndSVG(t *testing.T) {
	dir := t.TempDir()
	page, svgs := filepath.Join(dir, "report.html"), filepath.Join(dir, "svg")
	out, _, err := labCmd("run", "seed-close", "-json", "-html", page, "-svg", svgs)
	if err != nil {
		t.Fatal(err)
	}
	var run lab.Run
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatal(err)
	}
	packets := 0
	for _, e := range run.Scenarios[0].Events {
		if e.Kind == lab.KindPacket {
			packets++
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(svgs, "seed-close.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(`<section id="seed-close"`)) {
		t.Errorf("report has no section for seed-close")
	}
	if got := bytes.Count(svg, []byte(`class="packet`)); got != packets {
		t.Errorf("SVG draws %d packets, the run recorded %d", got, packets)
	}
}

// TestLabHTMLRefusesLink: a link planted where the report goes is refused
// before anything runs, and its target is untouched.
func TestLabHTMLRefusesLink(t *testing.T) {
	dir := t.TempDir()
	victim, link := filepath.Join(dir, "victim"), filepath.Join(dir, "report.html")
	os.WriteFile(victim, []byte("precious"), 0o644)
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	_, _, err := labCmd("run", "seed-close", "-html", link)
	if err == nil || cli.Code(err) != 2 || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("error = %v (exit %d), want a usage error naming the link", err, cli.Code(err))
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("link target changed: %q", b)
	}
}
