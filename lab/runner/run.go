package runner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
	"github.com/tcpteardown/teardown/trace"
)

// Options tune a run; nil means defaults.
type Options struct {
	// Variant runs only the named variant; "" runs every variant.
	Variant string
	// NoWire skips packet capture and state tracing even as root (calls
	// only), as happens anyway without root.
	NoWire bool
	// PcapDir, if set, receives one pcap file per scenario run.
	PcapDir string
	// HostNet runs scenarios on the host's loopback instead of a private
	// network namespace each (root only; without root they always run on
	// the host, except those that need a namespace).
	HostNet bool
	// UserNS runs wire scenarios inside an unprivileged user namespace even
	// as root, as happens without root where user namespaces are allowed
	// (packets recorded, states not).
	UserNS bool
}

// RunScenario runs every variant of s (or the one chosen in o) and returns
// one Result each. Errors of the scenario itself (a socket that cannot be
// made, a missing privilege) are reported in Result.Err.
func RunScenario(ctx context.Context, s *lab.Scenario, o *Options) []lab.Result {
	if o == nil {
		o = &Options{}
	}
	vs := s.Variants
	if len(vs) == 0 {
		vs = []lab.Variant{{}}
	}
	var chosen []lab.Variant
	for _, v := range vs {
		if o.Variant == "" || v.Name == o.Variant {
			chosen = append(chosen, v)
		}
	}
	if wantsUserNS(s, o) {
		return runInUserNS(ctx, s, o, chosen)
	}
	return runVariants(ctx, s, chosen, o)
}

// run is one execution of one variant of a scenario.
type run struct {
	s       *lab.Scenario
	variant string
	opts    *Options
	ctx     context.Context // ends when the run is cancelled or an actor fails
	outer   context.Context // ends only when the caller cancels (Ctrl-C)
	cancel  context.CancelFunc
	ns      *netns.NS
	start   time.Time

	mu       sync.Mutex
	calls    []lab.Event // calls and notes, as they happen
	socks    []SockRef
	segs     []capture.Segment
	w        *wire.Wire   // a wire scenario's two hosts
	wireEvs  []wire.Event // what the wire did, while recording
	wireOn   bool         // the recorders started: the wire's events are the run's
	wireDone bool         // the recorders stopped: later packets are cleanup's
	noStates bool         // the wire recorded packets, but states could not be traced
	trans    []trace.Transition
	segCh    chan struct{} // closed and replaced on every new segment
	wire     bool          // packets and states are being recorded
	notes    []string
	actors   map[string]*actor
	barriers map[string]chan struct{}
	ready    map[string]chan struct{} // closed when an actor listens
	listenAt map[string]netip.AddrPort
	udpAt    map[string]netip.AddrPort
	claimed  []int     // host sockets holding the run's ports (bindPort)
	loss     *lab.Loss // what the recorders lost (guarded by mu)
	moments  []float64 // when scripted sleeps ended, ms since start (guarded by mu)
	pcap     string    // the -pcap file written
}

func runVariant(ctx context.Context, s *lab.Scenario, v lab.Variant, o *Options) lab.Result {
	res := lab.Result{Name: s.Name, Variant: v.Name, Title: s.Title, Claims: s.Claims}
	for _, a := range s.Actors {
		res.Actors = append(res.Actors, a.Name)
	}
	if err := ctx.Err(); err != nil {
		res.Status, res.Reason = lab.StatusInterrupted, "not run: "+err.Error()
		return res
	}
	r := newRun(ctx, s, v.Name, o)
	defer r.cancel()
	t0 := time.Now()
	err := platformErr()
	if err == nil {
		err = r.execute()
	}
	res.Duration = time.Since(t0)
	if errors.Is(err, lab.ErrNeedsRoot) {
		// Nothing ran: no expectation is checked and no verdict given.
		res.Status, res.Reason, res.Duration = lab.StatusSkipped, err.Error(), 0
		return res
	}
	if err != nil {
		res.Err = err.Error()
	}
	r.finish(&res)
	if err := ctx.Err(); err != nil {
		res.Status, res.Passed, res.Reason = lab.StatusInterrupted, false, "stopped before the end: "+err.Error()
	}
	return res
}

func newRun(ctx context.Context, s *lab.Scenario, variant string, o *Options) *run {
	r := &run{s: s, variant: variant, opts: o, segCh: make(chan struct{}),
		actors: map[string]*actor{}, barriers: map[string]chan struct{}{},
		ready: map[string]chan struct{}{}, listenAt: map[string]netip.AddrPort{},
		udpAt: map[string]netip.AddrPort{}}
	r.outer = ctx
	r.ctx, r.cancel = context.WithCancel(ctx)
	for _, a := range s.Actors {
		r.actors[a.Name] = &actor{name: a.Name, process: a.Process, r: r, fd: -1, orig: -1, dup: -1, listener: -1, prebound: -1, udp: -1}
		r.ready[a.Name] = make(chan struct{})
	}
	return r
}

// execute sets up sockets and recorders, runs the actors, and tears down.
func (r *run) execute() (err error) {
	defer r.cleanup()
	if err := r.setupNS(); err != nil {
		return err
	}
	if err := r.prebind(); err != nil {
		return err
	}
	if err := r.startChildren(); err != nil {
		return err
	}
	stop, err := r.startRecorders()
	if err != nil {
		return err
	}
	r.start = time.Now()
	err = r.runActors()
	r.settle()
	stop()
	return err
}

// settle waits until the wire is quiet (no new segment for 60 ms, at most
// 600 ms) so that the last ACKs and RSTs reach the timeline.
func (r *run) settle() {
	if !r.wire {
		return
	}
	deadline := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		ch := r.segCh
		r.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(60*time.Millisecond + r.wireSettle()):
			return
		case <-r.ctx.Done():
			return
		}
	}
}

// setupNS gives the run a private network namespace: always when root,
// and required by scenarios that change sysctls. The host's loopback is
// shared with every other program, and what they do changes what the
// kernel does to ours: on this machine other tests fill the host's
// TIME-WAIT table (tcp_max_tw_buckets; nstat TcpExtTCPTimeWaitOverflow),
// and then an active closer gets no TIME-WAIT socket at all and the peer's
// FIN is answered with RST. A namespace has its own TIME-WAIT accounting,
// its own ports and its own lo, so the capture sees only the scenario.
func (r *run) setupNS() error {
	if r.s.Wire != nil {
		return r.setupWire()
	}
	root := os.Geteuid() == 0
	if !r.s.NetNS && (!root || r.opts.HostNet) {
		return nil
	}
	if !root {
		return fmt.Errorf("%w: scenario %s changes sysctls, which it may do only in a private network namespace, and making one needs root (run it as root, e.g. with sudo)", lab.ErrNeedsRoot, r.s.Name)
	}
	ns, err := netns.New()
	if err != nil {
		return fmt.Errorf("scenario %s needs a private network namespace: %w", r.s.Name, err)
	}
	r.ns = ns
	for _, sc := range r.s.Sysctls {
		if !lab.InVariant(sc.Variants, r.variant) {
			continue
		}
		// Only inside the scenario's own namespace, opened beneath
		// /proc/sys/net (netns.SetSysctl; docs/security.md).
		if err := ns.SetSysctl(sc.Name, sc.Value); err != nil {
			return fmt.Errorf("%s:%d: sysctl %s=%s in the scenario's namespace: %w", r.s.File, sc.Line, sc.Name, sc.Value, err)
		}
	}
	return nil
}

// inNS runs fn where the scenario's sockets live.
func (r *run) inNS(fn func() error) error {
	if r.ns == nil {
		return fn()
	}
	return r.ns.Do(fn)
}

// runActors starts one goroutine per actor and waits for all of them.
func (r *run) runActors() error {
	// A cancelled run (Ctrl-C) must not wait for steps to time out: the
	// children are killed, which ends a step they block in, and in-process
	// steps watch r.ctx.
	defer context.AfterFunc(r.ctx, r.killChildren)()
	var wg sync.WaitGroup
	laneErr := r.startWireLane(&wg) // arms the lane's first rules before the actors start
	errs := make([]error, len(r.s.Actors))
	for i, decl := range r.s.Actors {
		a := r.actors[decl.Name]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.run(r.stepsOf(decl.Name))
			if errs[i] != nil {
				r.cancel() // one actor failing ends the run: others would wait forever
			}
		}()
	}
	wg.Wait()
	return errors.Join(append(errs, *laneErr)...)
}

func (r *run) stepsOf(actor string) []*lab.Step {
	var out []*lab.Step
	for i := range r.s.Steps {
		st := &r.s.Steps[i]
		if st.Actor == actor && lab.InVariant(st.Variants, r.variant) {
			out = append(out, st)
		}
	}
	return out
}

// record appends a call or note to the timeline, stamped now.
func (r *run) record(e lab.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.T = time.Since(r.start)
	r.calls = append(r.calls, e)
}

// markMoment notes that a scripted sleep ended: the script's next moment
// begins (Result.Moments).
func (r *run) markMoment() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.moments = append(r.moments, lab.Millis(time.Since(r.start)))
}

func (r *run) note(actor, format string, a ...any) {
	r.record(lab.Event{Kind: lab.KindNote, Note: &lab.Note{Actor: actor, Text: fmt.Sprintf(format, a...)}})
}

// addSock remembers which actor owns an address pair.
func (r *run) addSock(local, remote netip.AddrPort, actor string) {
	if !local.IsValid() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.socks {
		if s.Local == local && s.Remote == remote && s.Actor == actor {
			return // known already
		}
	}
	var t time.Duration
	if !r.start.IsZero() {
		t = time.Since(r.start)
	}
	r.socks = append(r.socks, SockRef{Local: local, Remote: remote, Actor: actor, T: t})
}

// barrier returns the channel of a `signal`/`wait` name.
func (r *run) barrier(name string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.barriers[name]
	if !ok {
		ch = make(chan struct{})
		r.barriers[name] = ch
	}
	return ch
}

// killChildren kills the actors' child processes (not their holders,
// which block in nothing); cleanup reaps them.
func (r *run) killChildren() {
	for _, a := range r.actors {
		if a.child != nil {
			_ = a.child.cmd.Process.Kill() // an already-dead child is what we want
		}
	}
}

// cleanup closes whatever the script left open and reaps child processes.
// It runs after the recorders stopped: what it causes is not part of the
// scenario.
func (r *run) cleanup() {
	for _, a := range r.actors {
		a.cleanup()
	}
	for _, fd := range r.claimed {
		_ = closeSock(fd)
	}
	if r.ns != nil {
		r.ns.Close()
	}
	r.closeWire()
}
