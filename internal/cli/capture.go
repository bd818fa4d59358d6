package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/trace"
)

func init() {
	Register(&Command{
		Name:    "capture",
		Summary: "print the packets of chosen ports as tcpdump does (-w writes pcap/pcapng)",
		Run:     runCapture,
	})
}

const captureSynopsis = "[-port P …] [EXPRESSION] [-i lo] [-w FILE.pcap|FILE.pcapng] [-c N] [-B KiB] [-S] [-states [-states-buffer KiB]] [-explain [-v]] [-netns NAME|PATH]"

// captureHint says how to get the privilege a packet socket needs.
const captureHint = "run as root, or grant the binary the capability: sudo setcap cap_net_raw,cap_net_admin+ep $(which teardown)"

type captureOpts struct {
	ports    portList
	iface    string
	write    string
	count    int
	absolute bool
	states   bool
	stateBuf int // -states-buffer, KiB per CPU
	ringKB   int // -B, the packet ring in KiB
	netns    string
	expr     *capture.Expr // the filter expression after the flags, as tcpdump's
	read     string        // -r FILE
	// -U, -print, -n/-nn (tcpdump's spelling; nothing is ever resolved)
	unbuffered, print, noResolve bool
	// -explain: a verdict line per connection as it ends; -v: for all
	explain, verbose bool
}

// printing reports whether packets are printed: without -w or -explain,
// or with -print.
func (o *captureOpts) printing() bool { return (o.write == "" && !o.explain) || o.print }

// writeBatch is how long the kernel may hold frames for a -w capture
// that prints nothing: fewer, fuller ring blocks cost less per packet.
const writeBatch = 200 * time.Millisecond

// mergeBatch is the block timeout of -states and -explain, whose lines
// wait statesHold (20 ms) for the other source anyway. A block is retired
// when it is full or when this expires, so in a burst (~100 frames a
// millisecond on lo) 1 ms blocks hold ~100 frames and the default ring of
// 128 blocks covers ~130 ms of a stalled reader; 5 ms blocks hold ~500,
// and the same ring covers ~0.6 s. The reader is the one that stalls: it
// shares the CPU with the merger that parses ~10 state events and formats
// ~20 lines per connection.
const mergeBatch = 5 * time.Millisecond

// defaultStateBufKB is the trace buffer per CPU of capture -states. A state
// event takes about 80 bytes in the ring (inet_sock_set_state's 72-byte
// record and its header), and a connection makes about ten of them, so 8
// MiB per CPU hold a burst of some 10,000 connections even if the reader
// stalls; 1 MiB lost 3,000–18,000 events under ab -n 5000 -c 50 (issue 11).
const defaultStateBufKB = 8192

// defaultRingKB is -B's default: the 16 MiB ring of capture.Config's
// RingSize 0. maxRingKB bounds it (the kernel allocates and zeroes the
// whole ring at once).
const (
	defaultRingKB = 16 << 10
	maxRingKB     = 1 << 20
)

// portList is a repeatable -port flag.
type portList []uint16

func (p *portList) String() string {
	var s []string
	for _, v := range *p {
		s = append(s, strconv.Itoa(int(v)))
	}
	return strings.Join(s, ",")
}

func (p *portList) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("port %q: want a number from 1 to 65535", v)
	}
	*p = append(*p, uint16(n))
	return nil
}

func parseCapture(env *Env, args []string) (*captureOpts, error) {
	o := &captureOpts{}
	fs := NewFlagSet(env, "capture", captureSynopsis)
	base := fs.Usage
	fs.Usage = func() {
		base()
		fmt.Fprintln(env.Stdout, "\nEXPRESSION, as tcpdump's, from: host, port, src, dst, tcp, udp, and, or,\nnot, ( )   e.g. 'tcp port 9527 and host 127.0.0.1'")
	}
	fs.Var(&o.ports, "port", "TCP/UDP `port` to capture, either end (repeatable); ICMP errors about it too")
	fs.StringVar(&o.iface, "i", "lo", "`interface` to capture on")
	fs.StringVar(&o.write, "w", "", "write the packets to `FILE` instead of printing them (.pcapng: pcapng, otherwise pcap; -: pcap on stdout); removed if writing fails")
	fs.StringVar(&o.read, "r", "", "print the packets of a pcap or pcapng `FILE` (tcpdump -w, teardown -w) instead of capturing")
	fs.BoolVar(&o.unbuffered, "U", false, "with -w, write each packet at once (otherwise buffered, flushed every second and at exit)")
	fs.BoolVar(&o.print, "print", false, "with -w FILE, print the packets too (as tcpdump --print)")
	fs.BoolVar(&o.noResolve, "n", false, "accepted for tcpdump's habit: addresses and ports are never resolved")
	fs.BoolVar(&o.noResolve, "nn", false, "accepted for tcpdump's habit (same as -n)")
	fs.IntVar(&o.count, "c", 0, "stop after `N` packets (0: until Ctrl-C)")
	fs.IntVar(&o.ringKB, "B", defaultRingKB, "kernel capture buffer in `KiB`, as tcpdump -B: the packet ring, at least 1024 (packets that find it full are dropped)")
	fs.BoolVar(&o.absolute, "S", false, "print absolute sequence numbers")
	fs.BoolVar(&o.states, "states", false, "interleave the TCP state transitions of the sockets on those ports")
	fs.IntVar(&o.stateBuf, "states-buffer", defaultStateBufKB, "trace buffer for -states, in `KiB` per CPU (events are lost when it fills)")
	fs.BoolVar(&o.explain, "explain", false, "instead of the packets, print how each connection ended as it ends (as teardown explain does), and the counts at exit")
	fs.BoolVar(&o.verbose, "v", false, "with -explain, a line for every connection, not only those that did not end cleanly")
	fs.StringVar(&o.netns, "netns", "", "capture in this network `namespace`: a name from `ip netns list`, or a path such as /proc/PID/ns/net")
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	switch {
	case o.read != "" && (o.write != "" || o.states || o.netns != "" || o.ringKB != defaultRingKB):
		return nil, Usagef("capture: -r reads a file: -w, -states, -netns and -B go with a live capture")
	case len(o.ports) == 0 && fs.NArg() == 0 && o.read == "":
		return nil, Usagef("capture: give at least one -port or a filter expression (e.g. teardown capture -port 9527, or tcp port 9527)")
	case o.count < 0:
		return nil, Usagef("capture: -c %d: want a count ≥ 0", o.count)
	case o.write == "-" && o.print:
		return nil, Usagef("capture: -w - writes the packets to stdout; -print cannot print there too")
	case o.write == "" && (o.unbuffered || o.print):
		return nil, Usagef("capture: -U and -print go with -w FILE")
	case o.verbose && !o.explain:
		return nil, Usagef("capture: -v goes with -explain (a verdict line for every connection); packet lines are always complete")
	case o.explain && o.states:
		return nil, Usagef("capture: -explain prints verdicts, -states packets and states: use one of them")
	case o.explain && o.write == "-":
		return nil, Usagef("capture: -w - writes the packets to stdout, where -explain prints: use -w FILE")
	case o.states && len(o.ports) == 0:
		return nil, Usagef("capture: -states needs -port: the state tracer filters by port")
	case o.stateBuf < 4 || o.stateBuf > 1<<20:
		return nil, Usagef("capture: -states-buffer %d: want KiB per CPU from 4 to 1048576", o.stateBuf)
	case o.ringKB < 1 || o.ringKB > maxRingKB:
		return nil, Usagef("capture: -B %d: want the capture buffer in KiB, from 1 to %d", o.ringKB, maxRingKB)
	}
	if fs.NArg() > 0 {
		e, err := capture.ParseExpr(strings.Join(fs.Args(), " "))
		if err != nil {
			return nil, Usagef("%w", err)
		}
		o.expr = e
	}
	return o, nil
}

func runCapture(ctx context.Context, env *Env, args []string) error {
	o, err := parseCapture(env, args)
	if err != nil {
		return err
	}
	if o.read != "" && o.explain {
		return runReadExplain(ctx, env, o)
	}
	if o.read != "" {
		return runRead(ctx, env, o)
	}
	ns, err := openNetNS(o.netns)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	defer ns.Close()
	cfg := &capture.Config{Interface: o.iface, Ports: o.ports, Filter: o.expr, RingSize: o.ringKB << 10}
	switch {
	case !o.printing() && !o.unbuffered && !o.explain:
		// Nobody watches the lines: let the kernel fill its blocks (the
		// file is flushed every second anyway).
		cfg.Batch = writeBatch
	case o.states || o.explain:
		cfg.Batch = mergeBatch
	}
	c, err := openCaptureIn(ns, cfg)
	if err != nil {
		return openError(err)
	}
	defer c.Close()
	out, err := createPcap(env, o, c)
	if err != nil {
		return err
	}
	s := &captureSession{env: env, c: c, out: out, f: capture.Formatter{Absolute: o.absolute}, ports: portsOrExpr(o),
		printing: o.printing()}
	if o.states {
		cfg := &trace.Config{Ports: o.ports, BufferKB: o.stateBuf, FinTimeout: finTimeoutIn(nsFD(ns))}
		if s.tr, err = trace.Start(ctx, cfg); err != nil {
			return errors.Join(traceError(err), out.finish(true, capture.Stats{}))
		}
		s.book, s.stateBufKB = newStateBook(nsFD(ns), o.ports), o.stateBuf
		s.book.seed()
	}
	if o.explain {
		s.ex = newLiveExplain(env, o, c.Interface())
	}
	// Printed once everything listens: scripts wait for this line.
	fmt.Fprintf(env.Stderr, "listening on %s, link-type EN10MB (Ethernet), snapshot length %d bytes\n", c.Interface(), c.SnapLen())
	err = s.loop(ctx, o)
	s.summary()
	if s.ex != nil && err == nil {
		err = s.ex.finish(s.n)
	}
	if s.tr != nil {
		// A tracer that cannot remove its tracefs instance leaves state
		// behind on the machine: that is worth a line.
		if cerr := s.tr.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("capture: -states: %w", cerr))
		}
	}
	return errors.Join(err, out.finish(err != nil, s.stats()))
}

// portsOrExpr names what was captured, for the no-traffic hint.
func portsOrExpr(o *captureOpts) string {
	if len(o.ports) == 0 && o.expr != nil {
		return "(" + o.expr.String() + ")"
	}
	return o.ports.String()
}

// openError turns a missing privilege into the exit-2 hint.
func openError(err error) error {
	if errors.Is(err, capture.ErrPermission) {
		return &ExitError{Code: 2, Err: fmt.Errorf("%w; %s", err, captureHint)}
	}
	return err
}

// captureSession prints (and writes) segments and counts them.
type captureSession struct {
	env *Env
	c   *capture.Capture
	out *pcapOut
	tr  *trace.Tracer // with -states
	ex  *liveExplain  // with -explain
	// print: packets (and states) go to stdout; with -w they are not even
	// formatted unless -print asks for them.
	printing bool
	// book judges and annotates the transitions; stateBufKB is -states-buffer.
	book       *stateBook
	stateBufKB int
	queue      *segQueue // packets between reader and merger
	f          capture.Formatter
	n          uint64
	at         time.Time // stamp of the last packet printed
	// ports is the -port list as typed, for the hint when nothing came.
	ports string
}

// loop runs until -c packets, Ctrl-C (ctx: a clean end, as tcpdump) or an
// error.
func (s *captureSession) loop(ctx context.Context, o *captureOpts) error {
	if s.tr != nil || s.ex != nil {
		return s.loopStates(ctx, o) // -explain: the same loop, with no states
	}
	if !s.printing {
		return s.loopFrames(ctx, o)
	}
	for o.count == 0 || s.n < uint64(o.count) {
		seg, err := s.c.Next(ctx)
		if err != nil {
			return endError(ctx, err)
		}
		if err := s.emit(seg); err != nil {
			return err
		}
	}
	return nil
}

// loopFrames is -w without printing: frames go to the file undecoded.
func (s *captureSession) loopFrames(ctx context.Context, o *captureOpts) error {
	for o.count == 0 || s.n < uint64(o.count) {
		f, err := s.c.NextFrame(ctx)
		if err != nil {
			return endError(ctx, err)
		}
		s.n++
		if err := s.out.writeFrame(f); err != nil {
			return err
		}
	}
	return nil
}

func endError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// emit prints one line (a single write, so it leaves at once) and writes
// the frame to the file.
func (s *captureSession) emit(seg capture.Segment) error {
	s.n++
	s.at = seg.Time
	if s.ex != nil {
		s.ex.rec.Add(&seg)
	}
	if s.printing {
		if _, err := io.WriteString(s.env.Stdout, s.f.Format(seg)+"\n"); err != nil {
			return fmt.Errorf("capture: print: %w", err)
		}
	}
	return s.out.write(seg)
}

// stats are the kernel's counters (zero if unavailable), for pcapng.
func (s *captureSession) stats() capture.Stats {
	st, _ := s.c.Stats()
	return st
}

// summary prints tcpdump's closing lines on stderr.
func (s *captureSession) summary() {
	st, err := s.c.Stats()
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "%d packets captured\n(kernel counters unavailable: %v)\n", s.n, err)
		s.statesSummary()
		return
	}
	fmt.Fprintf(s.env.Stderr, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n",
		s.n, st.Packets, st.Drops)
	s.statesSummary()
	if s.n == 0 {
		fmt.Fprintf(s.env.Stderr, "no traffic on port %s of %s while capturing: is the program using that port, and "+
			"talking through %s? (traffic to another host's address goes through another interface: -i)\n",
			s.ports, s.c.Interface(), s.c.Interface())
	}
}
