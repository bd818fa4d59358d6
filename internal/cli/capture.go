package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
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

const captureSynopsis = "-port P [-port Q …] [-i lo] [-w FILE.pcap|FILE.pcapng] [-c N] [-S] [-states]"

// captureHint says how to get the privilege a packet socket needs.
const captureHint = "run as root, or grant the binary the capability: sudo setcap cap_net_raw,cap_net_admin+ep $(which teardown)"

type captureOpts struct {
	ports    portList
	iface    string
	write    string
	count    int
	absolute bool
	states   bool
}

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
	fs.Var(&o.ports, "port", "TCP/UDP `port` to capture, either end (repeatable); ICMP errors about it too")
	fs.StringVar(&o.iface, "i", "lo", "`interface` to capture on")
	fs.StringVar(&o.write, "w", "", "also write the packets to `FILE` (.pcapng: pcapng, otherwise pcap); removed if writing fails")
	fs.IntVar(&o.count, "c", 0, "stop after `N` packets (0: until Ctrl-C)")
	fs.BoolVar(&o.absolute, "S", false, "print absolute sequence numbers")
	fs.BoolVar(&o.states, "states", false, "interleave the TCP state transitions of the sockets on those ports")
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	switch {
	case len(o.ports) == 0:
		return nil, Usagef("capture: give at least one -port (e.g. teardown capture -port 9527)")
	case fs.NArg() > 0:
		return nil, Usagef("capture: unexpected argument %q (ports go in -port)", fs.Arg(0))
	case o.count < 0:
		return nil, Usagef("capture: -c %d: want a count ≥ 0", o.count)
	}
	return o, nil
}

func runCapture(ctx context.Context, env *Env, args []string) error {
	o, err := parseCapture(env, args)
	if err != nil {
		return err
	}
	c, err := capture.Open(&capture.Config{Interface: o.iface, Ports: o.ports})
	if err != nil {
		return openError(err)
	}
	defer c.Close()
	out, err := createPcap(o.write)
	if err != nil {
		return err
	}
	s := &captureSession{env: env, c: c, out: out, f: capture.Formatter{Absolute: o.absolute}, ports: o.ports.String()}
	if o.states {
		if s.tr, err = trace.Start(ctx, &trace.Config{Ports: o.ports}); err != nil {
			return errors.Join(traceError(err), out.finish(true))
		}
		defer s.tr.Close()
	}
	// Printed once everything listens: scripts wait for this line.
	fmt.Fprintf(env.Stderr, "listening on %s, link-type EN10MB (Ethernet), snapshot length %d bytes\n", c.Interface(), c.SnapLen())
	err = s.loop(ctx, o)
	s.summary()
	return errors.Join(err, out.finish(err != nil))
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
	f   capture.Formatter
	n   uint64
	at  time.Time // stamp of the last packet printed
	// ports is the -port list as typed, for the hint when nothing came.
	ports string
}

// loop runs until -c packets, Ctrl-C (ctx: a clean end, as tcpdump) or an
// error.
func (s *captureSession) loop(ctx context.Context, o *captureOpts) error {
	if s.tr != nil {
		return s.loopStates(ctx, o)
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
	if _, err := io.WriteString(s.env.Stdout, s.f.Format(seg)+"\n"); err != nil {
		return fmt.Errorf("capture: print: %w", err)
	}
	return s.out.write(seg)
}

// summary prints tcpdump's closing lines on stderr.
func (s *captureSession) summary() {
	st, err := s.c.Stats()
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "%d packets captured\n(kernel counters unavailable: %v)\n", s.n, err)
		return
	}
	fmt.Fprintf(s.env.Stderr, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n",
		s.n, st.Packets, st.Drops)
	if s.n == 0 {
		fmt.Fprintf(s.env.Stderr, "no traffic on port %s of %s while capturing: is the program using that port, and "+
			"talking through %s? (traffic to another host's address goes through another interface: -i)\n",
			s.ports, s.c.Interface(), s.c.Interface())
	}
}

// pcapOut is the -w file. A file that fails to be written is removed (a
// truncated capture misleads more than none); a capture that ends cleanly
// keeps its file even with no packets, as tcpdump does, so `tcpdump -r`
// always works on it. Only regular files are removed: -w /dev/full must
// not delete the device.
type pcapOut struct {
	path string
	f    *os.File
	w    *capture.Writer
}

func createPcap(path string) (*pcapOut, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("capture: -w: %w", err)
	}
	o := &pcapOut{path: path, f: f}
	o.w, err = capture.NewWriter(f, strings.HasSuffix(strings.ToLower(path), ".pcapng"))
	if err != nil {
		o.discard()
		return nil, fmt.Errorf("-w %s: %w", path, err)
	}
	return o, nil
}

// write appends a frame and flushes it, so the file is readable while the
// capture runs (tcpdump -U) and a full disk shows at once.
func (o *pcapOut) write(seg capture.Segment) error {
	if o == nil {
		return nil
	}
	err := o.w.Write(seg)
	if err == nil {
		err = o.w.Flush()
	}
	if err != nil {
		return fmt.Errorf("capture: -w %s: %w", o.path, err)
	}
	return nil
}

// finish flushes and closes the file, or removes it when failed.
func (o *pcapOut) finish(failed bool) error {
	if o == nil {
		return nil
	}
	if failed {
		o.discard()
		return nil
	}
	err := errors.Join(o.w.Close(), o.f.Close())
	if err != nil {
		os.Remove(o.path)
		return fmt.Errorf("capture: -w %s: %w (file removed)", o.path, err)
	}
	return nil
}

func (o *pcapOut) discard() {
	o.f.Close()
	if st, err := os.Stat(o.path); err == nil && st.Mode().IsRegular() {
		os.Remove(o.path)
	}
}

// -states: packets and state transitions in one timeline.
//
// Both carry kernel stamps on the same clock, but they reach us with
// different delays: a segment waits for its ring block to be retired (about
// 1 ms), a transition comes through trace_pipe (tens of µs) and an inferred
// TIME-WAIT only once the kernel reveals it. Items are therefore held for
// statesHold and printed in stamp order, so a FIN-WAIT-1 appears before the
// [F.] that caused it.
const (
	statesHold = 20 * time.Millisecond
	statesTick = 5 * time.Millisecond
)

// stamped is a segment or a transition waiting to be printed.
type stamped struct {
	at  time.Time
	seg *capture.Segment
	tr  *trace.Transition
}

func (s *captureSession) loopStates(ctx context.Context, o *captureOpts) error {
	rctx, cancel := context.WithCancel(ctx)
	segs := make(chan capture.Segment, 1024)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); errc <- s.readInto(rctx, segs) }()
	defer func() { cancel(); wg.Wait() }()
	return s.merge(ctx, o, segs, errc, s.tr.Events())
}

func traceError(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return &ExitError{Code: 2, Err: fmt.Errorf("capture -states: %w; state tracing needs root (tracefs)", err)}
	}
	return fmt.Errorf("capture -states: %w", err)
}

// readInto feeds segments to the merger until ctx ends or Next fails.
func (s *captureSession) readInto(ctx context.Context, out chan<- capture.Segment) error {
	for {
		seg, err := s.c.Next(ctx)
		if err != nil {
			return err
		}
		select {
		case out <- seg:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// merge holds, orders and prints both streams until -c packets, Ctrl-C or
// an error.
func (s *captureSession) merge(ctx context.Context, o *captureOpts, segs <-chan capture.Segment,
	errc <-chan error, events <-chan trace.Transition) error {
	tick := time.NewTicker(statesTick)
	defer tick.Stop()
	var held []stamped
	for !s.reached(o) {
		var err error
		select {
		case seg := <-segs:
			held = append(held, stamped{at: seg.Time, seg: &seg})
		case t, ok := <-events:
			if !ok {
				events = nil // the tracer stopped; packets go on
				continue
			}
			held = append(held, stamped{at: t.Time, tr: &t})
		case <-tick.C:
			held, err = s.release(held, time.Now().Add(-statesHold), o)
		case err = <-errc:
			err = endError(ctx, err)
			_, ferr := s.release(held, time.Now().Add(time.Hour), o)
			return errors.Join(err, ferr)
		}
		if err != nil {
			return err
		}
	}
	s.lateTransitions(held, events)
	return nil
}

// lateTransitions prints, after -c packets, the transitions stamped before
// the last packet that had not arrived yet: it waits statesHold for them.
func (s *captureSession) lateTransitions(held []stamped, events <-chan trace.Transition) {
	timeout := time.After(statesHold)
	for events != nil {
		select {
		case t, ok := <-events:
			if !ok {
				events = nil
				break
			}
			held = append(held, stamped{at: t.Time, tr: &t})
		case <-timeout:
			events = nil
		}
	}
	slices.SortStableFunc(held, func(a, b stamped) int { return a.at.Compare(b.at) })
	for _, it := range held {
		if it.tr != nil && !it.at.After(s.at) {
			s.print(it)
		}
	}
}

func (s *captureSession) reached(o *captureOpts) bool { return o.count > 0 && s.n >= uint64(o.count) }

// release prints, in stamp order, the held items older than cutoff and
// returns the rest. After -c packets nothing more is printed.
func (s *captureSession) release(held []stamped, cutoff time.Time, o *captureOpts) ([]stamped, error) {
	slices.SortStableFunc(held, func(a, b stamped) int { return a.at.Compare(b.at) })
	i := 0
	for ; i < len(held) && held[i].at.Before(cutoff) && !s.reached(o); i++ {
		if err := s.print(held[i]); err != nil {
			return nil, err
		}
	}
	return held[i:], nil
}

func (s *captureSession) print(it stamped) error {
	if it.seg != nil {
		return s.emit(*it.seg)
	}
	if _, err := io.WriteString(s.env.Stdout, transitionLine(it.tr)+"\n"); err != nil {
		return fmt.Errorf("capture: print: %w", err)
	}
	return nil
}

// transitionLine prints a transition like the packet lines around it:
// stamp, the socket (its local end, as ss shows it), what happened, the peer.
func transitionLine(t *trace.Transition) string {
	line := fmt.Sprintf("%s %s.%d ", t.Time.Local().Format("15:04:05.000000"), t.Local.Addr(), t.Local.Port())
	switch t.Kind {
	case trace.StateChange:
		line += t.From.String() + " → " + t.To.String()
	case trace.ResetSent:
		line += "sent RST"
	case trace.ResetReceived:
		line += "received RST"
	default:
		line += t.Kind.String()
	}
	if t.Remote.IsValid() && t.Remote.Port() != 0 {
		line += fmt.Sprintf(" (peer %s.%d)", t.Remote.Addr(), t.Remote.Port())
	}
	if t.Inferred {
		line += " [inferred]"
	}
	return line
}
