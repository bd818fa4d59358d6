package runner

// What the Linux recorders (record_linux.go) hand to a run.

import (
	"net/netip"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/trace"
)

// addSegment is called by the capture recorder for every packet. TCP and
// UDP have separate port spaces, so a filter on the scenario's port numbers
// also lets through other programs' traffic on the same number in the
// other protocol: that is dropped here.
func (r *run) addSegment(s capture.Segment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ours(s) {
		return
	}
	r.segs = append(r.segs, s)
	close(r.segCh)
	r.segCh = make(chan struct{})
}

func (r *run) addTransition(t trace.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w != nil && !r.ourWireAddr(t.Local, t.Remote) {
		return // the same port on another run's wire
	}
	if !r.tcpPort(t.Local.Port()) && !r.tcpPort(t.Remote.Port()) {
		return // a TCP socket on the number of one of our UDP ports
	}
	r.trans = append(r.trans, t)
}

// ours reports whether a captured packet belongs to the scenario: TCP to
// or from one of its listeners (or the closed port), UDP to or from its
// UDP sockets, ICMP about either.
func (r *run) ours(s capture.Segment) bool {
	src, dst := s.Src.Port(), s.Dst.Port()
	switch s.Proto {
	case capture.TCP:
		return r.tcpPort(src) || r.tcpPort(dst)
	case capture.UDP:
		return r.udpPort(src) || r.udpPort(dst)
	}
	q := s.Quoted
	return r.udpPort(q.Src.Port()) || r.udpPort(q.Dst.Port()) || r.tcpPort(q.Src.Port()) || r.tcpPort(q.Dst.Port())
}

func (r *run) tcpPort(p uint16) bool { return hasPort(r.listenAt, p) }
func (r *run) udpPort(p uint16) bool { return hasPort(r.udpAt, p) }

func hasPort(m map[string]netip.AddrPort, p uint16) bool {
	for _, a := range m {
		if a.Port() == p {
			return true
		}
	}
	return false
}

// ports are the ports the recorders watch: every listener, UDP socket and
// the reserved closed port.
func (r *run) ports() []uint16 {
	var ps []uint16
	for _, m := range []map[string]netip.AddrPort{r.listenAt, r.udpAt} {
		for _, a := range m {
			ps = append(ps, a.Port())
		}
	}
	return ps
}

// lose records a loss of the recorders.
func (r *run) lose(fn func(*lab.Loss)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loss == nil {
		r.loss = &lab.Loss{}
	}
	fn(r.loss)
}
