package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/lab"
)

// TestClaimsDocUpToDate fails when a scenario file changed and
// docs/claims.md was not regenerated.
func TestClaimsDocUpToDate(t *testing.T) {
	scs, err := lab.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := write(&b, scs, lab.Source); err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "claims.md"))
	if err != nil {
		t.Fatalf("%v (run go generate ./internal/cmd/claimsdoc)", err)
	}
	if diff := cmp.Diff(string(have), b.String()); diff != "" {
		t.Errorf("docs/claims.md is out of date: run go generate ./internal/cmd/claimsdoc\n(-have +want):\n%s", diff)
	}
}

// TestEveryClaimDocumented: every claim a scenario lists appears with the
// scenario's name and a paraphrase, and every verdict line is quoted.
func TestEveryClaimDocumented(t *testing.T) {
	const steps = "actor x\nactor y\nx: listen\ny: connect x\nx: accept\nx: read\ny: close\n"
	src := map[string]string{
		"a": "scenario a\nclaims C01 C02\nvariant v one way\nvariant w another\n" + steps +
			"said C01 One.\nwhy C01 Because.\nverdict C01 agrees when call x read#1 = EOF\nverdict@v C01 differs otherwise\nverdict@w C01 partly otherwise\n",
		"b": "scenario b\nclaims C02\n" + steps + "said C02 Two.\n",
	}
	var scs []*lab.Scenario
	for _, name := range []string{"a", "b"} {
		s, err := lab.Parse(name+".scn", strings.NewReader(src[name]))
		if err != nil {
			t.Fatal(err)
		}
		scs = append(scs, s)
	}
	var b bytes.Buffer
	if err := write(&b, scs, func(n string) string { return src[n] }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| [C01](#c01) | `a` |", "| [C02](#c02) | `a`, `b` |",
		"**The seed says:** One.", "**On Linux:** Because.", "**The seed says:** Two.",
		"- `a`: agrees when call x read#1 = EOF", "- `a`: variant v: differs otherwise",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("document lacks %q:\n%s", want, b.String())
		}
	}
}
