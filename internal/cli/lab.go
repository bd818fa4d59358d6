package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/lab/runner"
)

func init() {
	Register(&Command{
		Name:    "lab",
		Summary: "run the seed claims on this kernel: `lab` (all), `lab list`, `lab run NAME|FILE...`",
		Run:     runLab,
	})
}

// labFlags are shared by `lab` and `lab run`.
type labFlags struct {
	json     bool
	pcap     string
	lang     string
	variant  string
	parallel int
	html     string
	svg      string
}

func (f *labFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print the results as JSON (docs/json-schema.md)")
	fs.StringVar(&f.pcap, "pcap", "", "write one pcap file per scenario run into `DIR`")
	fs.StringVar(&f.lang, "lang", "en", "language of the explanations: en or zh")
	fs.StringVar(&f.variant, "variant", "", "run only this variant of a scenario")
	fs.IntVar(&f.parallel, "j", 8, "scenarios run at the same time")
	fs.StringVar(&f.html, "html", "", "also write the report as one HTML `FILE` (SVG diagrams, works offline)")
	fs.StringVar(&f.svg, "svg", "", "also write each run's diagram as a standalone SVG into `DIR`")
}

func runLab(ctx context.Context, env *Env, args []string) error {
	var f labFlags
	fs := NewFlagSet(env, "lab", "[-json] [-pcap DIR] [-html FILE] [-svg DIR] [-lang zh] [-variant V] [list | run NAME|FILE...]")
	f.register(fs)
	if err := Parse(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if f.parallel < 1 {
		return Usagef("lab: -j %d: run at least 1 scenario at a time", f.parallel)
	}
	if len(rest) == 0 {
		return labAll(ctx, env, &f)
	}
	switch rest[0] {
	case "list":
		if len(rest) > 1 {
			return Usagef("lab list: unexpected argument %q: `lab list` takes none", rest[1])
		}
		return labList(env)
	case "run":
		// Flags may stand anywhere (`lab run seed-close -json`): Parse has
		// already read them all, so what follows "run" is names.
		return labRun(ctx, env, &f, rest[1:])
	}
	return Usagef("lab: unknown subcommand %q: use `teardown lab`, `teardown lab list` or `teardown lab run NAME`", rest[0])
}

func (f *labFlags) check() error {
	if f.lang != "en" && f.lang != "zh" {
		return Usagef("lab: -lang must be en or zh, got %q", f.lang)
	}
	if f.html != "" {
		// Refuse a planted link before the run, not after it (the write
		// itself refuses it again: safefile.Create).
		if st, err := os.Lstat(f.html); err == nil && !st.Mode().IsRegular() {
			return Usagef("lab: -html %s: not a regular file (a link or a device): name another file", f.html)
		}
	}
	if f.pcap != "" {
		if st, err := os.Stat(f.pcap); err != nil || !st.IsDir() {
			return Usagef("lab: -pcap %s: not a directory (create it first)", f.pcap)
		}
	}
	return nil
}

func (f *labFlags) options() *runner.Options {
	return &runner.Options{PcapDir: f.pcap, Variant: f.variant}
}

func (f *labFlags) render(env *Env) *render.Options {
	return &render.Options{Color: env.TTY, Lang: f.lang, Width: diagramWidth(env.Width)}
}

// labList prints the catalog in 80 columns: name and claims, then the
// title and the variants under them, wrapped.
func labList(env *Env) error {
	all, err := lab.Catalog()
	if err != nil {
		return err
	}
	const indent = 19
	for _, s := range all {
		fmt.Fprintf(env.Stdout, "%-18s %s\n", s.Name, strings.Join(s.Claims, " "))
		text := s.Title
		if len(s.Variants) > 0 {
			var names []string
			for _, v := range s.Variants {
				names = append(names, v.Name)
			}
			text += " · variants: " + strings.Join(names, ", ")
		}
		for _, l := range wrapWords(text, 80-indent) {
			fmt.Fprintf(env.Stdout, "%*s%s\n", indent, "", l)
		}
	}
	return nil
}

// wrapWords breaks text into lines of at most width runes at spaces (a
// longer word stands alone).
func wrapWords(text string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(text) {
		if cur != "" && len([]rune(cur))+1+len([]rune(w)) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// labAll runs the whole catalog: a progress line on stderr, then the
// summary table (or JSON).
func labAll(ctx context.Context, env *Env, f *labFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	all, err := lab.Catalog()
	if err != nil {
		return err
	}
	t0 := time.Now()
	res := runner.RunAll(ctx, all, f.options(), f.parallel, func(done, total int, running string) {
		if !f.json {
			render.Progress(env.Stderr, done, total, running)
		}
	})
	if err := ctx.Err(); err != nil {
		return interrupted(err)
	}
	if err := f.writeReports(env, res); err != nil {
		return err
	}
	if f.json {
		return writeJSON(env, res)
	}
	privilegeNotes(env, f, res)
	if err := render.Summary(env.Stdout, res, f.render(env)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%d scenario runs in %.1f s wall\n", len(res), time.Since(t0).Seconds())
	return failures(res)
}

// labRun runs the named scenarios (or files) and draws each.
func labRun(ctx context.Context, env *Env, f *labFlags, names []string) error {
	if len(names) == 0 {
		return Usagef("lab run: name a scenario (`teardown lab list`) or a scenario file")
	}
	if err := f.check(); err != nil {
		return err
	}
	var scs []*lab.Scenario
	for _, n := range names {
		s, err := lab.Lookup(n)
		if err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		if err := hasVariant(s, f.variant); err != nil {
			return err
		}
		scs = append(scs, s)
	}
	res := runner.RunAll(ctx, scs, f.options(), f.parallel, nil)
	if err := ctx.Err(); err != nil {
		return interrupted(err)
	}
	if err := f.writeReports(env, res); err != nil {
		return err
	}
	if f.json {
		return writeJSON(env, res)
	}
	privilegeNotes(env, f, res)
	for i, r := range res {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		if err := render.Diagram(env.Stdout, r, f.render(env)); err != nil {
			return err
		}
	}
	return failures(res)
}

func hasVariant(s *lab.Scenario, v string) error {
	if v == "" {
		return nil
	}
	var names []string
	for _, x := range s.Variants {
		if x.Name == v {
			return nil
		}
		names = append(names, x.Name)
	}
	if len(names) == 0 {
		return Usagef("lab run: scenario %s has no variants", s.Name)
	}
	return Usagef("lab run: scenario %s has no variant %q (it has %s)", s.Name, v, strings.Join(names, ", "))
}

// interrupted is the error of a run stopped by Ctrl-C or SIGTERM. It
// wraps the context's error (context.Canceled), which main maps to exit
// status 130.
func interrupted(err error) error {
	return fmt.Errorf("lab: interrupted, results discarded: %w", err)
}

// privilegeNotes say once, in whole sentences, what could not be recorded
// or written for want of privilege.
func privilegeNotes(env *Env, f *labFlags, res []lab.Result) {
	without, userns := 0, 0
	for _, r := range res {
		switch {
		case slices.Contains(r.Notes, runner.NoteNeedRoot):
			without++
		case slices.Contains(r.Notes, runner.NoteUserNS):
			userns++
		}
	}
	if without == 0 {
		return
	}
	fmt.Fprintf(env.Stderr, "note: %d of %d runs: %s. Run as root to see them.\n", without, len(res), runner.NoteNeedRoot)
	if userns > 0 {
		fmt.Fprintf(env.Stderr, "note: %d wire runs went inside an unprivileged user namespace: their packets were recorded (by the wire), their states were not.\n", userns)
	}
	if f.pcap != "" {
		fmt.Fprintf(env.Stderr, "note: -pcap %s: no pcap file was written for those %d runs, because capturing packets needs root.\n", f.pcap, without)
	}
}

func writeJSON(env *Env, res []lab.Result) error {
	run := lab.Run{Schema: lab.SchemaVersion, Kernel: kernelRelease(), Root: os.Geteuid() == 0, Scenarios: res}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(run); err != nil {
		return err
	}
	return failures(res)
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// failures is the exit status: 1 when a scenario failed (an expectation
// did not hold: the kernel did something new, or the scenario broke); 2
// when nothing could run for want of privilege. Skipped and inconclusive
// runs are neither: the output says so and counts them.
func failures(res []lab.Result) error {
	var bad, skipped []string
	for _, r := range res {
		switch r.Status {
		case lab.StatusFailed:
			bad = append(bad, runName(r))
		case lab.StatusSkipped:
			skipped = append(skipped, runName(r))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("lab: %d scenario run(s) did not go as expected: %s", len(bad), strings.Join(bad, ", "))
	}
	if len(res) > 0 && len(skipped) == len(res) {
		return &ExitError{Code: 2, Err: fmt.Errorf("lab: nothing ran: %s", res[0].Reason)}
	}
	return nil
}

func runName(r lab.Result) string {
	if r.Variant != "" {
		return r.Name + "/" + r.Variant
	}
	return r.Name
}

// diagramWidth fits the diagram to the terminal: its width when known,
// within bounds where the lanes stay readable; 100 columns otherwise.
func diagramWidth(term int) int {
	switch {
	case term <= 0:
		return 100
	case term < 60:
		return 60
	case term > 160:
		return 160
	}
	return term
}

// writeReports writes the -html page and the -svg diagrams of the runs, and
// says on stderr where they went.
func (f *labFlags) writeReports(env *Env, res []lab.Result) error {
	o := &report.Options{Lang: f.lang, Kernel: kernelRelease()}
	if f.html != "" {
		if err := report.WriteHTMLFile(f.html, res, o); err != nil {
			return fmt.Errorf("lab: -html: %w", err)
		}
		fmt.Fprintf(env.Stderr, "report: %s\n", f.html)
	}
	if f.svg != "" {
		paths, err := report.WriteSVGFiles(f.svg, res, o)
		if err != nil {
			return fmt.Errorf("lab: -svg: %w", err)
		}
		fmt.Fprintf(env.Stderr, "diagrams: %d SVG files in %s\n", len(paths), f.svg)
	}
	return nil
}
