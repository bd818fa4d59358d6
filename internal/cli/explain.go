package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/tcpteardown/teardown/explain"
	"github.com/tcpteardown/teardown/lab/report"
)

// `teardown capture -explain` gives the same lines live, as connections
// end (capture_explain.go: explain.Stream on a record.Builder).

func init() {
	Register(&Command{
		Name:    "explain",
		Summary: "how every TCP connection in a pcap/pcapng file ended, and whether data was lost",
		Run:     runExplain,
	})
}

const explainSynopsis = "FILE.pcap|FILE.pcapng|- [-port P] [-conn N] [-json] [-v] [-html FILE] [-lang zh]"

type explainOpts struct {
	cfg  explain.Config
	port uint
	file string
	html string
}

func parseExplain(env *Env, args []string) (*explainOpts, error) {
	o := &explainOpts{}
	fs := NewFlagSet(env, "explain", explainSynopsis)
	fs.UintVar(&o.port, "port", 0, "only connections with this port on either side")
	fs.IntVar(&o.cfg.Conn, "conn", 0, "draw connection `N` (its number in the summary) as a sequence diagram, with its diagnosis")
	fs.BoolVar(&o.cfg.JSON, "json", false, "print JSON (docs/json-schema.md, \"explain\")")
	fs.BoolVar(&o.cfg.Verbose, "v", false, "list every connection, not only those that did not end cleanly")
	fs.StringVar(&o.cfg.Lang, "lang", "en", "language of the explanations: en or zh")
	fs.StringVar(&o.html, "html", "", "also write the listed connections (at most 200) as an HTML report with sequence diagrams to `FILE`")
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() != 1:
		return nil, Usagef("explain: want one capture file (or - for stdin), got %d arguments: teardown explain %s", fs.NArg(), explainSynopsis)
	case o.port > 65535:
		return nil, Usagef("explain: -port %d is not a port (1-65535)", o.port)
	case o.cfg.Conn < 0:
		return nil, Usagef("explain: -conn %d: connections are numbered from 1", o.cfg.Conn)
	case o.cfg.Lang != "en" && o.cfg.Lang != "zh":
		return nil, Usagef("explain: -lang %q: use en or zh", o.cfg.Lang)
	}
	o.file = fs.Arg(0)
	o.cfg.Port, o.cfg.Name, o.cfg.Report = uint16(o.port), o.file, o.html != ""
	return o, nil
}

func runExplain(ctx context.Context, env *Env, args []string) error {
	o, err := parseExplain(env, args)
	if err != nil {
		return err
	}
	in, closeIn, err := openCapture(env, o.file)
	if err != nil {
		return err
	}
	defer closeIn()
	o.cfg.Width, o.cfg.Color = env.Width, env.TTY
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(explainMemoryLimit()))
	sum, err := explain.Run(ctxReader{ctx, in}, env.Stdout, &o.cfg)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil && o.html != "" {
		err = writeExplainHTML(env, o, sum)
	}
	return err
}

// writeExplainHTML draws the connections the summary listed with the lab's
// HTML renderer, each labelled with its ending.
func writeExplainHTML(env *Env, o *explainOpts, sum *explain.Summary) error {
	results, badge := explain.Results(sum.Reported, o.cfg.Lang)
	opt := &report.Options{Lang: o.cfg.Lang, Title: "teardown explain " + o.file, Badge: badge}
	if err := report.WriteHTMLFile(o.html, results, opt); err != nil {
		return fmt.Errorf("explain: -html: %w", err)
	}
	fmt.Fprintf(env.Stderr, "report: %s (%d connections)\n", o.html, len(results))
	return nil
}

// explainMemoryLimit is a soft limit for the Go heap while explain runs.
// Its live data is the open and recently finished connections (about
// 1 KiB each), but by default the heap grows to twice that before the GC
// runs, and the decoder's per-packet garbage fills it: the limit makes the
// GC run sooner, keeping a large capture under the 64 MiB of issue 12
// (docs/performance.md, "explain"). GOMEMLIMIT, when set, wins.
func explainMemoryLimit() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	return 48 << 20
}

// openCapture opens the file to read ("-": stdin). Reading follows links:
// explain only reads, and the user named the file.
func openCapture(env *Env, name string) (io.Reader, func(), error) {
	if name == "-" {
		return env.Stdin, func() {}, nil
	}
	if strings.HasPrefix(name, "-") {
		return nil, nil, Usagef("explain: %q looks like a flag, not a file (use ./%s for a file of that name)", name, name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("explain: %w: give a pcap or pcapng file (tcpdump -w FILE)", err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = errors.New("is a directory")
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("explain: %s: %w: give a pcap or pcapng file", name, err)
	}
	return f, func() { f.Close() }, nil
}

// ctxReader stops reading when ctx is done (Ctrl-C on a long file or a
// pipe from tcpdump).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
