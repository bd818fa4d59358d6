// Command labreport renders saved lab runs (the output of `teardown lab
// -json`) as one HTML report and/or one SVG per run. It is the renderer's
// example program and what scripts/diagram-png.sh uses; the teardown
// binary's `lab -html FILE` / `-svg DIR` call the same package.
//
//	teardown lab -json > runs.json
//	go run ./lab/report/cmd/labreport -in runs.json -html report.html -svg diagrams/
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "labreport:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("labreport", flag.ContinueOnError)
	in := fs.String("in", "-", "saved runs: the JSON of `teardown lab -json` (- = stdin)")
	htmlOut := fs.String("html", "", "write the HTML report to `FILE`")
	svgDir := fs.String("svg", "", "write one SVG per run into `DIR` (NAME.svg, NAME_VARIANT.svg)")
	lang := fs.String("lang", "en", "language the report opens in: en or zh")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *htmlOut == "" && *svgDir == "" {
		return errors.New("nothing to write: give -html FILE and/or -svg DIR")
	}
	run, err := load(*in)
	if err != nil {
		return err
	}
	catalog, err := lab.Catalog()
	if err != nil {
		return err
	}
	report.FillTexts(run.Scenarios, catalog)
	opt := &report.Options{Lang: *lang, Kernel: run.Kernel}
	if *htmlOut != "" {
		if err := writeHTML(*htmlOut, run.Scenarios, opt); err != nil {
			return err
		}
	}
	if *svgDir != "" {
		return writeSVGs(*svgDir, run.Scenarios, opt)
	}
	return nil
}

func load(path string) (*lab.Run, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var run lab.Run
	if err := json.NewDecoder(r).Decode(&run); err != nil {
		return nil, fmt.Errorf("read %s: %w (expected the output of `teardown lab -json`)", path, err)
	}
	return &run, nil
}

func writeHTML(path string, results []lab.Result, o *report.Options) error {
	return report.WriteHTMLFile(path, results, o)
}

func writeSVGs(dir string, results []lab.Result, o *report.Options) error {
	paths, err := report.WriteSVGFiles(dir, results, o)
	for _, p := range paths {
		fmt.Println(p)
	}
	return err
}
