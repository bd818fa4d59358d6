package runner

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/safefile"
	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/trace"
)

// drainWait bounds how long stopping the recorders waits for the capture
// to hand over its end marker. The marker normally comes back within a
// millisecond; a reader starved of CPU for longer than this makes the run
// inconclusive rather than stalling it.
const drainWait = 3 * time.Second

// startWire opens a packet capture on the scenario's lo (inside its
// namespace when it has one) and a state tracer on its ports. Tracepoints
// are global across namespaces; the ports keep scenarios apart.
func startWire(r *run) (func(), error) {
	ports := r.ports()
	if len(ports) == 0 {
		return nil, fmt.Errorf("no listener or UDP socket: nothing to filter on")
	}
	if r.w != nil {
		return startWireTrace(r, ports)
	}
	m, err := newMarker(r)
	if err != nil {
		return nil, err
	}
	var c *capture.Capture
	err = r.inNS(func() (err error) {
		c, err = capture.Open(&capture.Config{Interface: "lo", Ports: append(ports, m.at.Port())})
		return err
	})
	if err != nil {
		m.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Started inside the namespace, the tracer reads that namespace's
	// tcp_fin_timeout, which decides its TIME-WAIT inference.
	var t *trace.Tracer
	err = r.inNS(func() (err error) {
		t, err = trace.Start(ctx, &trace.Config{Ports: ports})
		return err
	})
	if err != nil {
		cancel()
		c.Close()
		m.close()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); readSegments(ctx, c, r, m) }()
	go func() { defer wg.Done(); readTransitions(t, r) }()
	return func() {
		r.drain(m)
		// The tracer is closed before ctx is cancelled: cancelling it
		// would make the tracer's own context watcher close it, outside
		// the fork gate (instances were left behind that way).
		if err := closeGated(t.Close); err != nil {
			r.notes = append(r.notes, "state tracer: "+err.Error()) // not a loss: its events were all read
		}
		cancel()
		c.Close()
		wg.Wait()
		m.close()
		r.countLoss(c, t)
	}, nil
}

// drain waits until the capture has handed over every packet sent before
// now. The reader runs behind the kernel: the ring holds what it has not
// read yet, and under load (other tests on both cores) it lagged more than
// the 65 ms the runner used to wait, so the last FINs of a scenario were
// left in the ring when the reader was stopped, and the timeline missed
// them. Instead a marker datagram is sent to a port of the filter now; the
// ring is FIFO, so once the reader meets the marker, everything captured
// before it has been read.
func (r *run) drain(m *marker) {
	if err := m.send(); err != nil {
		r.lose(func(l *lab.Loss) { l.RecorderErr = "capture end marker: " + err.Error() })
		return
	}
	select {
	case <-m.seen:
	case <-time.After(drainWait):
		r.lose(func(l *lab.Loss) { l.Undrained = true })
	case <-r.outer.Done(): // an actor that failed still wants its last packets shown
	}
}

// countLoss records what the kernel dropped: capture ring overflows and
// trace buffer overflows.
func (r *run) countLoss(c *capture.Capture, t *trace.Tracer) {
	st, err := c.Stats()
	if err != nil {
		r.lose(func(l *lab.Loss) { l.RecorderErr = err.Error() })
	}
	if st.Drops > 0 || t.Lost() > 0 {
		r.lose(func(l *lab.Loss) { l.CaptureDrops, l.TraceLost = st.Drops, t.Lost() })
	}
}

func readSegments(ctx context.Context, c *capture.Capture, r *run, m *marker) {
	for {
		s, err := c.Next(ctx)
		if err != nil {
			return
		}
		if m.is(s) {
			m.saw()
			continue
		}
		r.addSegment(s)
	}
}

func readTransitions(t *trace.Tracer, r *run) {
	for tr := range t.Events() {
		r.addTransition(tr)
	}
}

// marker is a UDP socket bound in the run's namespace whose datagram to
// itself marks the end of the capture (drain).
type marker struct {
	fd   int
	at   netip.AddrPort
	seen chan struct{}
	once sync.Once
}

func newMarker(r *run) (*marker, error) {
	fd, err := r.socketMaker("")(sys.Dgram)
	if err != nil {
		return nil, fmt.Errorf("capture end marker: %w", err)
	}
	m := &marker{fd: fd, seen: make(chan struct{})}
	err = sys.Bind(fd, netip.AddrPortFrom(loopback, 0))
	if err == nil {
		m.at, err = sys.SockName(fd)
	}
	if err != nil {
		_ = closeSock(fd)
		return nil, fmt.Errorf("capture end marker: %w", err)
	}
	return m, nil
}

func (m *marker) send() error { return sys.SendTo(m.fd, []byte("end"), m.at) }

func (m *marker) is(s capture.Segment) bool {
	return s.Proto == capture.UDP && s.Src == m.at && s.Dst == m.at
}

func (m *marker) saw()   { m.once.Do(func() { close(m.seen) }) }
func (m *marker) close() { _ = closeSock(m.fd) }

// openPcap creates the run's -pcap file. Scenario names come from files
// anyone may write and the lab runs as root: safefile.CreateIn refuses a
// name with "/" or "..", never follows a link planted in the directory and
// never overwrites a file (a second run of a scenario with the same name
// gets NAME-2.pcap).
func openPcap(r *run) (*os.File, string, error) {
	name := r.s.Name
	if r.variant != "" {
		name += "-" + r.variant
	}
	ext := ".pcap"
	if r.w != nil {
		ext = ".pcapng" // the wire's file says what it did to each packet (comments)
	}
	f, path, err := safefile.CreateIn(r.opts.PcapDir, name+ext, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("lab: pcap: %w", err)
	}
	return f, path, nil
}

// writePcap saves the run's segments, in the order captured, into f.
func writePcap(f *os.File, segs []capture.Segment) error {
	w, err := capture.NewWriter(f, false)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if err := w.Write(s); err != nil {
			return err
		}
	}
	return w.Close()
}

// listSockets reads the socket table of the scenario's namespace.
func listSockets(r *run) ([]lab.SockRow, error) {
	socks, err := listOurSockets(r)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := make([]lab.SockRow, 0, len(socks))
	for _, s := range socks {
		rows = append(rows, lab.SockRow{Actor: lookupActor(r.socks, s.Local, s.Remote), State: s.State,
			RecvQ: s.RecvQ, SendQ: s.SendQ, Timer: s.Timer.String(), Expiry: lab.Millis(s.Expires),
			Orphan: s.Orphan, Local: s.Local.String(), Remote: s.Remote.String()})
	}
	return rows, nil
}
