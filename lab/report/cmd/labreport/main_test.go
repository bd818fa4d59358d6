package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun renders the saved seed-close run to a page and an SVG, twice
// (the second replaces the first), and refuses bad input with one line
// that says what to give.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "seed-close.json")
	page, svgs := filepath.Join(dir, "r.html"), filepath.Join(dir, "svg")
	for i := 0; i < 2; i++ {
		if err := run([]string{"-in", in, "-html", page, "-svg", svgs, "-lang", "zh"}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(b), `<section id="seed-close"`) || !strings.Contains(string(b), `data-lang="zh"`) {
		t.Errorf("page: %v, %d bytes", err, len(b))
	}
	entries, err := os.ReadDir(svgs)
	if err != nil || len(entries) != 1 || entries[0].Name() != "seed-close.svg" {
		t.Errorf("svg dir: %v %v", entries, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-in", in}, "give -html FILE"},
		{[]string{"-in", bad, "-html", page}, "expected the output of `teardown lab -json`"},
		{[]string{"-in", filepath.Join(dir, "missing.json"), "-html", page}, "no such file"},
		{[]string{"-in", in, "-html", link}, "symbolic link"},
	} {
		err := run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("run(%q) = %v, want one line with %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "target")); err == nil {
		t.Error("wrote through a planted link")
	}
}
