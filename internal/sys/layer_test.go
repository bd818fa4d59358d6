package sys_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const (
	unixPath   = "golang.org/x/sys/unix"
	modulePath = "github.com/tcpteardown/teardown/"
)

// TestThinLayer keeps the layer thin and alone (doc.go): outside tests, no
// package but this one imports golang.org/x/sys/unix, and this one imports
// no other package of the module.
func TestThinLayer(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		rel, _ := filepath.Rel(root, path)
		for _, imp := range imports(t, path) {
			inSys := filepath.Dir(rel) == filepath.Join("internal", "sys")
			switch {
			case imp == unixPath && !inSys:
				t.Errorf("%s imports %s: call internal/sys instead", rel, unixPath)
			case strings.HasPrefix(imp, modulePath) && inSys:
				t.Errorf("%s imports %s: internal/sys must not depend on the packages above it", rel, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked %d Go files under %s: not the module's root?", files, root)
	}
}

func imports(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range f.Imports {
		p, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}
