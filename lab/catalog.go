package lab

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
)

//go:embed scenarios/*.scn
var catalogFS embed.FS

// Catalog returns the built-in scenarios (lab/scenarios/*.scn), sorted by
// name. The files are part of the binary: `teardown lab` needs nothing
// else on disk.
func Catalog() ([]*Scenario, error) {
	names, err := fs.Glob(catalogFS, "scenarios/*.scn")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, n := range names {
		b, _ := catalogFS.ReadFile(n)
		s, err := Parse(n, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Lookup finds a catalog scenario by name, or reads a scenario file when
// arg names one (it contains a slash or ends in .scn).
func Lookup(arg string) (*Scenario, error) {
	if strings.Contains(arg, "/") || path.Ext(arg) == ".scn" {
		return parseFile(arg)
	}
	all, err := Catalog()
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Name == arg {
			return s, nil
		}
	}
	return nil, fmt.Errorf("lab: no scenario %q: `teardown lab list` shows the catalog", arg)
}

// parseFile reads a scenario file named on the command line. O_NONBLOCK
// keeps open(2) of a FIFO from blocking forever (no writer) and a device
// is refused: only a regular file is parsed (docs/security.md).
func parseFile(name string) (*Scenario, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("lab: %s is not a regular file", name)
	}
	return Parse(name, f)
}

// Source returns the text of the catalog scenario name ("" if there is
// none), for `teardown lab show` style uses and tests.
func Source(name string) string {
	b, err := catalogFS.ReadFile("scenarios/" + name + ".scn")
	if err != nil {
		return ""
	}
	return string(b)
}
