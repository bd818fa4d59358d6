package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/trace"
)

func init() {
	wireRecorder = startWire
	socketTable = listSockets
}

// wireDrain is how long the recorders keep reading after the scenario ends.
const wireDrain = 5 * time.Millisecond

// startWire opens a packet capture on the scenario's lo (inside its
// namespace when it has one) and a state tracer on its ports. Tracepoints
// are global across namespaces; the ports keep scenarios apart.
func startWire(r *run) (func(), error) {
	ports := r.ports()
	if len(ports) == 0 {
		return nil, fmt.Errorf("no listener or UDP socket: nothing to filter on")
	}
	var c *capture.Capture
	err := r.inNS(func() (err error) {
		c, err = capture.Open(&capture.Config{Interface: "lo", Ports: ports})
		return err
	})
	if err != nil {
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
		return nil, err
	}
	pcap, err := r.openPcap()
	if err != nil {
		cancel()
		c.Close()
		t.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); readSegments(ctx, c, r, pcap) }()
	go func() { defer wg.Done(); readTransitions(t, r) }()
	return func() {
		// AF_PACKET hands packets over in blocks (1 ms timeout): let the
		// ring deliver the last segments before the reader stops.
		time.Sleep(wireDrain)
		cancel()
		c.Close()
		t.Close()
		wg.Wait()
		pcap.close()
	}, nil
}

func readSegments(ctx context.Context, c *capture.Capture, r *run, p *pcapFile) {
	for {
		s, err := c.Next(ctx)
		if err != nil {
			return
		}
		r.addSegment(s)
		p.write(s)
	}
}

func readTransitions(t *trace.Tracer, r *run) {
	for tr := range t.Events() {
		r.addTransition(tr)
	}
}

// pcapFile is the optional -pcap DIR output of one run; nil writes nothing.
type pcapFile struct {
	f *os.File
	w *capture.Writer
}

func (r *run) openPcap() (*pcapFile, error) {
	if r.opts.PcapDir == "" {
		return nil, nil
	}
	name := r.s.Name
	if r.variant != "" {
		name += "-" + r.variant
	}
	f, err := os.Create(filepath.Join(r.opts.PcapDir, name+".pcap"))
	if err != nil {
		return nil, fmt.Errorf("lab: pcap: %w", err)
	}
	w, err := capture.NewWriter(f, false)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &pcapFile{f: f, w: w}, nil
}

func (p *pcapFile) write(s capture.Segment) {
	if p != nil {
		p.w.Write(s)
	}
}

func (p *pcapFile) close() {
	if p != nil {
		p.w.Close()
		p.f.Close()
	}
}

// listSockets reads the socket table of the scenario's namespace.
func listSockets(r *run) ([]SockRow, error) {
	f := sockdiag.Filter{Ports: r.ports()}
	if r.ns != nil {
		f.NetNS = int(r.ns.Handle())
	}
	socks, err := sockdiag.List(f)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := make([]SockRow, 0, len(socks))
	for _, s := range socks {
		rows = append(rows, SockRow{Actor: lookupActor(r.socks, s.Local, s.Remote), State: s.State,
			RecvQ: s.RecvQ, SendQ: s.SendQ, Timer: s.Timer.String(), Expiry: ms(s.Expires),
			Orphan: s.Orphan, Local: s.Local.String(), Remote: s.Remote.String()})
	}
	return rows, nil
}
