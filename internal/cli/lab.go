package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
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
}

func (f *labFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print the results as JSON (docs/json-schema.md)")
	fs.StringVar(&f.pcap, "pcap", "", "write one pcap file per scenario run into `DIR`")
	fs.StringVar(&f.lang, "lang", "en", "language of the explanations: en or zh")
	fs.StringVar(&f.variant, "variant", "", "run only this variant of a scenario")
	fs.IntVar(&f.parallel, "j", 8, "scenarios run at the same time")
}

func runLab(ctx context.Context, env *Env, args []string) error {
	var f labFlags
	fs := NewFlagSet(env, "lab", "[-json] [-pcap DIR] [-lang zh] [-variant V] [list | run NAME|FILE...]")
	f.register(fs)
	if err := Parse(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return labAll(ctx, env, &f)
	}
	switch rest[0] {
	case "list":
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
	if f.pcap != "" {
		if st, err := os.Stat(f.pcap); err != nil || !st.IsDir() {
			return Usagef("lab: -pcap %s: not a directory (create it first)", f.pcap)
		}
	}
	return nil
}

func (f *labFlags) options() *lab.Options { return &lab.Options{PcapDir: f.pcap, Variant: f.variant} }

func (f *labFlags) render(env *Env) *render.Options {
	return &render.Options{Color: env.TTY, Lang: f.lang, Width: diagramWidth(env.Width)}
}

func labList(env *Env) error {
	all, err := lab.Catalog()
	if err != nil {
		return err
	}
	for _, s := range all {
		fmt.Fprintf(env.Stdout, "%-18s %-16s %s\n", s.Name, strings.Join(s.Claims, " "), s.Title)
	}
	return nil
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
	res := lab.RunAll(ctx, all, f.options(), f.parallel, func(done, total int, running string) {
		if !f.json {
			render.Progress(env.Stderr, done, total, running)
		}
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lab: interrupted: %w", err)
	}
	if f.json {
		return writeJSON(env, res)
	}
	rootNote(env, res)
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
	res := lab.RunAll(ctx, scs, f.options(), f.parallel, nil)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lab: interrupted: %w", err)
	}
	if f.json {
		return writeJSON(env, res)
	}
	rootNote(env, res)
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

// rootNote says once that packets and states need root.
func rootNote(env *Env, res []lab.Result) {
	for _, r := range res {
		for _, n := range r.Notes {
			if n == lab.NoteNeedRoot {
				fmt.Fprintln(env.Stderr, "note: "+n+" (run as root to see them)")
				return
			}
		}
	}
}

func writeJSON(env *Env, res []lab.Result) error {
	run := lab.Run{Kernel: kernelRelease(), Root: os.Geteuid() == 0, Scenarios: res}
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

// failures is the exit status: 1 when a scenario could not run or one of
// its expectations failed (the kernel did something new).
func failures(res []lab.Result) error {
	var bad []string
	for _, r := range res {
		if strings.HasPrefix(r.Err, lab.NeedsRoot) {
			continue // said in the output; not a failure of the kernel or the lab
		}
		if !r.Passed {
			name := r.Name
			if r.Variant != "" {
				name += "/" + r.Variant
			}
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("lab: %d scenario run(s) did not go as expected: %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
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
