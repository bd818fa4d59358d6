package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/sockdiag"
)

func init() {
	Register(&Command{
		Name:    "watch",
		Summary: "the socket table of ports over time: states, accept queues, alarms (like ss -tan)",
		Run:     runWatch,
	})
}

const watchSynopsis = "-port P [-port Q] [-interval 1s] [-once] [-json] [-netns NAME|PATH]"

type watchOpts struct {
	ports    []uint16
	interval time.Duration
	once     bool
	json     bool
	netns    string
}

func parseWatch(env *Env, args []string) (*watchOpts, error) {
	o := &watchOpts{}
	fs := NewFlagSet(env, "watch", watchSynopsis)
	fs.Func("port", "TCP `port` to watch (local or remote); repeat for several", o.addPort)
	fs.DurationVar(&o.interval, "interval", time.Second, "time between two looks at the socket table")
	fs.BoolVar(&o.once, "once", false, "print one snapshot and exit")
	fs.BoolVar(&o.json, "json", false, "print JSON, one object per snapshot")
	fs.StringVar(&o.netns, "netns", "", "look into this network `namespace`: a name from `ip netns list`, or a path such as /proc/PID/ns/net (like ss -N)")
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, Usagef("watch: unexpected argument %q (ports go in -port P)", fs.Arg(0))
	case len(o.ports) == 0:
		return nil, Usagef("watch: which port? give -port P (e.g. -port 9527)")
	case o.interval <= 0:
		return nil, Usagef("watch: -interval must be positive, e.g. -interval 1s")
	}
	return o, nil
}

func (o *watchOpts) addPort(s string) error {
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil || p == 0 {
		return fmt.Errorf("%q is not a TCP port (1-65535)", s)
	}
	if !slices.Contains(o.ports, uint16(p)) {
		o.ports = append(o.ports, uint16(p))
	}
	return nil
}

func runWatch(ctx context.Context, env *Env, args []string) error {
	o, err := parseWatch(env, args)
	if err != nil {
		return err
	}
	ns, err := openNetNS(o.netns)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer ns.Close()
	w := &watcher{opts: o, out: env.Stdout, tty: env.TTY && !o.json, nsfd: nsFD(ns), cfg: alarmConfig(nsFD(ns))}
	return w.loop(ctx)
}

// openNetNS opens the namespace named by -netns: a bare name is one of
// `ip netns add`'s, in /run/netns. An empty name is the caller's namespace
// (nil, no error).
func openNetNS(name string) (*os.File, error) {
	if name == "" {
		return nil, nil
	}
	path := name
	if !strings.Contains(name, "/") {
		path = filepath.Join("/run/netns", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("network namespace %q: %w (list them with `ip netns list`, or give /proc/PID/ns/net)", name, err)
	}
	return f, nil
}

// nsFD is the descriptor sockdiag takes (0: the caller's namespace).
func nsFD(f *os.File) int {
	if f == nil {
		return 0
	}
	return int(f.Fd())
}

// alarmConfig uses the watched namespace's ephemeral port range; if it
// cannot be read (zero range) the alarms fall back to Linux's default range.
func alarmConfig(nsfd int) *sockdiag.AlarmConfig {
	r, _ := sockdiag.EphemeralPortsIn(nsfd)
	return &sockdiag.AlarmConfig{Ephemeral: r, GrowIntervals: 3}
}

// watcher keeps the recent samples (as many as the CLOSE-WAIT trend needs)
// and how many lines it drew last, to redraw them in place on a terminal.
type watcher struct {
	opts   *watchOpts
	out    io.Writer
	tty    bool
	nsfd   int // the watched namespace (0: ours)
	cfg    *sockdiag.AlarmConfig
	series []sockdiag.Sample
	drawn  int
}

func (w *watcher) loop(ctx context.Context) error {
	t := time.NewTicker(w.opts.interval)
	defer t.Stop()
	for {
		if err := w.step(); err != nil || w.opts.once {
			return err
		}
		select {
		case <-ctx.Done():
			return nil // Ctrl-C is how a watch ends: not an error
		case <-t.C:
		}
	}
}

func (w *watcher) step() error {
	socks, err := sockdiag.List(sockdiag.Filter{Ports: w.opts.ports, NetNS: w.nsfd})
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	w.series = append(w.series, sockdiag.Summarize(time.Now(), socks))
	if keep := w.cfg.GrowIntervals + 1; len(w.series) > keep {
		w.series = w.series[len(w.series)-keep:]
	}
	r := sockdiag.Report{Ports: w.opts.ports, Sample: w.series[len(w.series)-1], Alarms: sockdiag.Alarms(w.series, w.cfg)}
	return w.show(r)
}

func (w *watcher) show(r sockdiag.Report) error {
	if w.opts.json {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w.out, "%s\n", b)
		return err
	}
	if w.tty && w.drawn > 0 {
		// Cursor up over the previous block, then clear to the end of the
		// screen: the table updates in place like top(1).
		fmt.Fprintf(w.out, "\x1b[%dA\x1b[J", w.drawn)
	}
	w.drawn = len(r.Lines())
	return r.WriteText(w.out)
}
