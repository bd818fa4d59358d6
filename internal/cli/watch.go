package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

func init() {
	Register(&Command{
		Name:    "watch",
		Summary: "the socket table of ports over time: states, accept queues, alarms (like ss -tan)",
		Run:     runWatch,
	})
}

const watchSynopsis = "[-port P …] [-state S …] [-dst ADDR[:PORT]] [-interval 1s] [-once] [-json] [-sockets] [-p] " +
	"[-closewait-age 10s] [-listen ADDR] [-netns NAME|PATH]"

type watchOpts struct {
	ports        []uint16
	states       []tcpstate.State
	dst          dstFilter
	interval     time.Duration
	once         bool
	json         bool
	netns        string
	sockets      bool
	procs        bool
	closeWaitAge time.Duration
	listen       string
}

// dstFilter is -dst: a remote address, with or without a port.
type dstFilter struct {
	addr netip.Addr
	port uint16 // 0: any
}

func (d *dstFilter) set(s string) error {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		d.addr, d.port = ap.Addr().Unmap(), ap.Port()
		return nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return fmt.Errorf("%q is not an address or address:port (e.g. 10.0.0.5 or 10.0.0.5:443, [::1]:80)", s)
	}
	d.addr = a.Unmap()
	return nil
}

func (d dstFilter) match(s sockdiag.Socket) bool {
	if !d.addr.IsValid() {
		return true
	}
	return s.Remote.Addr().Unmap() == d.addr && (d.port == 0 || s.Remote.Port() == d.port)
}

func parseWatch(env *Env, args []string) (*watchOpts, error) {
	o := &watchOpts{}
	fs := NewFlagSet(env, "watch", watchSynopsis)
	fs.Func("port", "TCP `port` to watch (local or remote); repeat for several; none: all ports", o.addPort)
	fs.Func("state", "only sockets in this `state` (ss names: CLOSE-WAIT, TIME-WAIT …); repeatable", o.addState)
	fs.Func("dst", "only sockets whose remote end is `ADDR` or ADDR:PORT", o.dst.set)
	fs.BoolVar(&o.sockets, "sockets", false, "print one row per socket: queues, timer, CLOSE-WAIT age (and owner with -p)")
	fs.BoolVar(&o.procs, "p", false, "show the processes holding each socket, as ss -p (reads /proc/PID/fd)")
	fs.DurationVar(&o.closeWaitAge, "closewait-age", 10*time.Second, "a CLOSE-WAIT socket older than this is a leak")
	fs.StringVar(&o.listen, "listen", "", "serve Prometheus metrics on `ADDR`/metrics (e.g. :9527 or 127.0.0.1:9100)")
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
	case o.closeWaitAge <= 0:
		return nil, Usagef("watch: -closewait-age must be positive, e.g. -closewait-age 10s")
	case o.listen != "" && o.once:
		return nil, Usagef("watch: -listen serves metrics until Ctrl-C; it cannot go with -once")
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

func (o *watchOpts) addState(s string) error {
	st, err := tcpstate.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a TCP state (use ss's names: ESTABLISHED, CLOSE-WAIT, TIME-WAIT …)", s)
	}
	o.states = append(o.states, st)
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
	w.cfg.CloseWaitAge = o.closeWaitAge
	if o.listen != "" {
		stop, err := w.serveMetrics(ctx, env)
		if err != nil {
			return err
		}
		defer stop()
	}
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
	ages   sockdiag.AgeTracker
	// metrics is the -listen exporter (nil without it).
	metrics *watchMetrics
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
	socks, err := sockdiag.List(sockdiag.Filter{Ports: w.opts.ports, States: w.opts.states, NetNS: w.nsfd})
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	socks = slices.DeleteFunc(socks, func(s sockdiag.Socket) bool { return !w.opts.dst.match(s) })
	now := time.Now()
	w.series = append(w.series, w.ages.Summarize(now, socks))
	if keep := w.cfg.GrowIntervals + 1; len(w.series) > keep {
		w.series = w.series[len(w.series)-keep:]
	}
	r := sockdiag.Report{Ports: w.opts.ports, Sample: w.series[len(w.series)-1], Alarms: sockdiag.Alarms(w.series, w.cfg)}
	var owners map[uint32][]sockdiag.Owner
	if w.opts.procs {
		owners, _ = sockdiag.Owners() // an unreadable /proc leaves owners out rather than failing the watch
		nameCloseWaitOwners(r.Alarms, socks, owners)
	}
	if w.opts.sockets {
		r.Rows = w.rows(now, socks, owners)
	}
	if w.metrics != nil {
		w.metrics.update(r, socks)
	}
	return w.show(r)
}

// rows are the -sockets rows, with owners when -p asks for them.
func (w *watcher) rows(now time.Time, socks []sockdiag.Socket, owners map[uint32][]sockdiag.Owner) []sockdiag.Row {
	rows := make([]sockdiag.Row, len(socks))
	for i, s := range socks {
		rows[i] = sockdiag.Row{Socket: s, Age: w.ages.Age(s, now)}
		if s.Inode != 0 {
			rows[i].Owners = owners[s.Inode]
		}
	}
	return rows
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

// nameCloseWaitOwners adds to a CLOSE-WAIT alarm the programs that hold
// those sockets: they are the ones that never call close.
func nameCloseWaitOwners(alarms []sockdiag.Alarm, socks []sockdiag.Socket, owners map[uint32][]sockdiag.Owner) {
	var names []string
	for _, s := range socks {
		if s.State != tcpstate.CloseWait {
			continue
		}
		for _, o := range owners[s.Inode] {
			if n := fmt.Sprintf("%s (pid %d)", o.Comm, o.PID); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	for i, a := range alarms {
		if a.Kind == sockdiag.AlarmCloseWaitOld || a.Kind == sockdiag.AlarmCloseWaitGrowing {
			alarms[i].Message += "; held by " + strings.Join(names, ", ")
		}
	}
}
