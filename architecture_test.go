package teardown_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestArchitectureDocMatchesPackages keeps docs/architecture.md honest: the
// package table names every package `go list ./...` finds, and every package
// it names exists.
func TestArchitectureDocMatchesPackages(t *testing.T) {
	documented := documentedPackages(t, "docs/architecture.md")
	out, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const module = "github.com/tcpteardown/teardown"
	var real []string
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if rel == "" {
			rel = "teardown"
		}
		real = append(real, rel)
	}
	for _, p := range real {
		if !slices.Contains(documented, p) {
			t.Errorf("package %s is missing from the table of docs/architecture.md", p)
		}
	}
	for _, p := range documented {
		if p == "teardown" || slices.Contains(real, p) {
			continue
		}
		if _, err := os.Stat(filepath.FromSlash(p)); err != nil {
			t.Errorf("docs/architecture.md names %s, which does not exist", p)
		}
	}
}

var tableRow = regexp.MustCompile("^\\| `([a-z0-9_/]+)`")

// documentedPackages reads the first column of the package table: rows that
// start with "| `path`".
func documentedPackages(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pkgs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := tableRow.FindStringSubmatch(sc.Text()); m != nil {
			pkgs = append(pkgs, m[1])
		}
	}
	return pkgs
}
