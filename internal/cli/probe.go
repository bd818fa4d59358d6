package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
	"github.com/tcpteardown/teardown/lab/report"
	"github.com/tcpteardown/teardown/probe"
)

func init() {
	Register(&Command{
		Name:    "probe",
		Summary: "how does a real server close its connections? a battery of client behaviours, with evidence",
		Run:     runProbe,
	})
}

// headerFlags collects repeated -header values.
type headerFlags []probe.Header

func (h *headerFlags) String() string {
	if h == nil {
		return ""
	}
	var parts []string
	for _, v := range *h {
		parts = append(parts, v.Name+": "+v.Value)
	}
	return strings.Join(parts, ", ")
}

func (h *headerFlags) Set(s string) error {
	v, err := probe.ParseHeader(s)
	if err != nil {
		return err
	}
	*h = append(*h, v)
	return nil
}

type probeFlags struct {
	cfg     probe.Config
	http    bool
	send    string
	only    string
	json    bool
	verbose bool
	html    string
	headers headerFlags
}

func runProbe(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "probe", "[flags] HOST:PORT")
	f := &probeFlags{}
	fs.BoolVar(&f.http, "http", false, "probe as HTTP/1.1 (the default; the port must answer HTTP)")
	fs.StringVar(&f.cfg.Path, "path", "/", "resource of every request")
	fs.StringVar(&f.cfg.Host, "host", "", "Host header (default: HOST:PORT)")
	fs.Var(&f.headers, "header", "extra request header \"Name: value\" (repeatable)")
	fs.StringVar(&f.send, "send", "", "probe a raw TCP protocol: the request, with Go escapes (\\r\\n)")
	fs.BoolVar(&f.cfg.ExpectClose, "expect-close", false, "raw: the server closes after its reply")
	fs.IntVar(&f.cfg.ReplySize, "reply-size", 0, "raw: bytes of one reply")
	fs.StringVar(&f.cfg.Large, "large", "", "a resource of ≥ 256 KiB, so that replies are in flight when the server closes")
	fs.DurationVar(&f.cfg.MaxWait, "max-wait", probe.DefaultMaxWait, "bound of every wait; the whole battery takes about this long")
	fs.StringVar(&f.only, "only", "", "run only these checks (comma-separated): "+strings.Join(probe.Names(), ","))
	fs.BoolVar(&f.json, "json", false, "write the report as JSON (docs/json-schema.md)")
	fs.BoolVar(&f.verbose, "v", false, "draw each check's sequence diagram (packets need root)")
	fs.StringVar(&f.html, "html", "", "also write the report card with each check's diagram as HTML to `FILE`")
	fs.StringVar(&f.cfg.RestartCmd, "restart-cmd", "", "shell command that restarts the server (runs the shutdown check)")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if err := f.check(fs.Args()); err != nil {
		return err
	}
	return f.run(ctx, env)
}

// check validates the flags and fills the probe's Config.
func (f *probeFlags) check(rest []string) error {
	switch {
	case len(rest) != 1:
		return Usagef("probe: name one HOST:PORT (e.g. teardown probe 127.0.0.1:8080)")
	case f.http && f.send != "":
		return Usagef("probe: -http and -send exclude each other")
	case f.cfg.MaxWait <= 0:
		return Usagef("probe: -max-wait must be positive")
	case f.cfg.ReplySize < 0:
		return Usagef("probe: -reply-size must not be negative")
	case f.send == "" && (f.cfg.ExpectClose || f.cfg.ReplySize > 0):
		return Usagef("probe: -expect-close and -reply-size describe a raw protocol: give -send TEXT too")
	}
	f.cfg.Addr = rest[0]
	f.cfg.Headers = f.headers
	f.cfg.Packets = f.verbose || f.html != ""
	if f.only != "" {
		f.cfg.Only = strings.Split(f.only, ",")
		if err := probe.ValidNames(f.cfg.Only); err != nil {
			return Usagef("probe: -only: %v", err)
		}
	}
	if f.send != "" {
		raw, err := probe.Unescape(f.send)
		if err != nil {
			return Usagef("probe: -send: %v", err)
		}
		f.cfg.Raw = raw
	}
	if err := f.cfg.Validate(); err != nil {
		return Usagef("probe: %v", err)
	}
	return nil
}

func (f *probeFlags) run(ctx context.Context, env *Env) error {
	var mu sync.Mutex
	if !f.json && !f.verbose {
		f.cfg.Progress = func(c probe.Check) {
			mu.Lock()
			defer mu.Unlock()
			printCheck(env.Stdout, c)
		}
	}
	rep, err := probe.Run(ctx, &f.cfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("probe: interrupted: %w", ctx.Err())
		}
		return errors.New(strings.TrimPrefix(err.Error(), "probe: "))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("probe: interrupted: %w", err)
	}
	if f.html != "" {
		if err := writeProbeHTML(f.html, rep); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "report: %s\n", f.html)
	}
	if f.json {
		return f.writeJSON(env, rep)
	}
	f.printReport(env, rep)
	return probeExit(rep)
}

// writeProbeHTML draws every check with the lab's HTML renderer, labelled
// with its verdict: ok green, fail red, risk and n/a in between.
func writeProbeHTML(path string, rep *probe.Report) error {
	var results []lab.Result
	verdicts := map[string]probe.Verdict{}
	for i := range rep.Checks {
		c := &rep.Checks[i]
		results = append(results, c.Timeline())
		verdicts[c.Name] = c.Verdict
	}
	badge := func(r lab.Result) (string, string) {
		v := verdicts[r.Name]
		switch v {
		case probe.OK:
			return "pass", string(v)
		case probe.Fail:
			return "fail", string(v)
		}
		return "err", string(v)
	}
	opt := &report.Options{Title: "teardown probe " + rep.Target, Badge: badge}
	if err := report.WriteHTMLFile(path, results, opt); err != nil {
		return fmt.Errorf("probe: -html: %w", err)
	}
	return nil
}

func (f *probeFlags) writeJSON(env *Env, rep *probe.Report) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	return probeExit(rep)
}

// printReport writes the notes and, with -v, every check and its diagram
// (without -v the lines were printed as each check ended).
func (f *probeFlags) printReport(env *Env, rep *probe.Report) {
	for _, n := range rep.Notes {
		fmt.Fprintf(env.Stderr, "teardown probe: note: %s\n", n)
	}
	if f.verbose {
		for i := range rep.Checks {
			c := &rep.Checks[i]
			printCheck(env.Stdout, *c)
			_ = render.Diagram(env.Stdout, c.Timeline(), &render.Options{Color: env.TTY, Width: diagramWidth(env.Width)})
			fmt.Fprintln(env.Stdout)
		}
	}
	fmt.Fprintln(env.Stdout, rep.Summary())
}

// printCheck is the report card's entry: the verdict line, the evidence under it.
func printCheck(w io.Writer, c probe.Check) { fmt.Fprint(w, c.Text()) }

func probeExit(rep *probe.Report) error {
	if rep.Failed() {
		return fmt.Errorf("probe: %s", rep.Summary())
	}
	return nil
}
