// Command claimsdoc writes docs/claims.md, the index of the seed claims the
// lab tests, from the scenario files (lab/scenarios/*.scn): for each claim
// ID, what the seed says (the files' own paraphrase, `said`), which
// scenarios test it, what Linux does and why (`why`), and the rules that
// turn a run's events into a verdict (`verdict`). The scenario files are
// the single source: edit them, then run
//
//	go generate ./internal/cmd/claimsdoc
//
// TestClaimsDocUpToDate fails when docs/claims.md differs from what this
// command writes.
package main

//go:generate go run . -o ../../../docs/claims.md

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/tcpteardown/teardown/internal/safefile"
	"github.com/tcpteardown/teardown/lab"
)

func main() {
	out := flag.String("o", "", "write to `FILE` instead of stdout")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "claimsdoc: unexpected argument %q (usage: claimsdoc [-o FILE])\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := run(*out); err != nil {
		fmt.Fprintf(os.Stderr, "claimsdoc: %v\n", err)
		os.Exit(1)
	}
}

func run(out string) error {
	scs, err := lab.Catalog()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := write(&b, scs, lab.Source); err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(b.Bytes())
		return err
	}
	f, err := safefile.Create(out, 0o644) // no planted link redirects a root run's write
	if err != nil {
		return err
	}
	_, err = f.Write(b.Bytes())
	return errors.Join(err, f.Close())
}
