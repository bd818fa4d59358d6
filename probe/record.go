package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/record"
)

// recorder captures the probe's own connections: every segment to or from
// the target's port on the loopback interface. A nil *recorder records
// nothing; its methods are no-ops.
type recorder struct {
	cap    *capture.Capture
	mark   *marker
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	segs   []capture.Segment
	note   string // what went wrong with the capture, for the report's notes
}

// NoteNoRoot is the report's note when packets could not be captured.
const NoteNoRoot = "packets need root (CAP_NET_RAW): the verdicts rest on socket-level evidence only (read results, TCP_INFO)"

// startRecorder opens the capture when cfg.Packets asks for it; the note
// says why packets are not recorded when they are not.
func startRecorder(t *target) (*recorder, string) {
	if !t.cfg.Packets {
		return nil, ""
	}
	port, loop, err := targetPort(t.cfg.Addr)
	if err != nil || !loop {
		return nil, "packets are captured only for a target on loopback: the verdicts rest on socket-level evidence only"
	}
	m, err := newMarker()
	if err != nil {
		return nil, "no packets: " + err.Error()
	}
	c, err := capture.Open(&capture.Config{Interface: orDefault(t.cfg.Interface, "lo"), Ports: []uint16{port, m.at.Port()}})
	if err != nil {
		m.close()
		if errors.Is(err, capture.ErrPermission) {
			return nil, NoteNoRoot
		}
		return nil, "no packets: " + err.Error()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{cap: c, mark: m, cancel: cancel, done: make(chan struct{})}
	go r.loop(ctx)
	return r, ""
}

// targetPort resolves the target's port and whether its host is loopback.
func targetPort(addr string) (uint16, bool, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false, err
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 0, false, err
	}
	if host == "localhost" {
		return uint16(port), true, nil
	}
	ip, err := netip.ParseAddr(host)
	return uint16(port), err == nil && ip.IsLoopback(), nil
}

func (r *recorder) loop(ctx context.Context) {
	defer close(r.done)
	for {
		s, err := r.cap.Next(ctx)
		if err != nil {
			return
		}
		if r.mark.is(s) {
			r.mark.saw()
			continue
		}
		r.mu.Lock()
		r.segs = append(r.segs, s)
		r.mu.Unlock()
	}
}

// drainWait bounds how long stop waits for the reader to reach the end
// marker: on an idle machine it takes a block timeout (1 ms).
const drainWait = 3 * time.Second

// stop ends the capture once everything captured so far has been read.
// The reader runs behind the kernel: a TPACKET_V3 block reaches it at its
// 1 ms timeout, and then the reader must be scheduled, which on a loaded
// machine took longer than the few milliseconds the probe used to wait, so
// whole checks came out without packets. Instead, after a short pause for
// the last check's final segments, a datagram to the marker's own port is
// captured; the ring is first in, first out, so once the reader has met
// it, every segment before it has been read. A reader that does not get
// there in time, and frames the ring had no room for, become a note.
func (r *recorder) stop() {
	if r == nil {
		return
	}
	time.Sleep(5 * time.Millisecond)
	switch err := r.mark.send(); {
	case err != nil:
		r.note = "capture end marker: " + err.Error() + ": the diagrams may miss the last packets"
	default:
		select {
		case <-r.mark.seen:
		case <-time.After(drainWait):
			r.note = fmt.Sprintf("the capture's reader was %v behind the kernel (the machine is too busy): the diagrams may miss packets", drainWait)
		}
	}
	r.cancel()
	<-r.done
	if st, err := r.cap.Stats(); err == nil && st.Drops > 0 {
		if r.note != "" {
			r.note += "; "
		}
		r.note += fmt.Sprintf("the capture dropped %d of %d packets (its ring was full): the diagrams miss them", st.Drops, st.Packets)
	}
	_ = r.cap.Close()
	r.mark.close()
}

// captureNote is what the report should say about the capture once
// stopped: "" when every packet was read.
func (r *recorder) captureNote() string {
	if r == nil {
		return ""
	}
	return r.note
}

// attach gives c the segments of its own connections, folded into
// records (record.Builder, every connection kept), and the capture's word
// on resets: an [R] from the server is an RST even where the client's
// reads had already ended.
func (r *recorder) attach(c *Check) {
	if r == nil || c.log == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c.addSegments(r.segs)
	if len(c.wire) == 0 && len(c.log.ports) > 0 {
		c.Evidence += "; capture: none of this check's packets was captured"
	}
}

// addSegments folds the segments of c's connections, in capture order,
// into records, keeps each one's place in that order for the diagram, and
// adds the capture's resets to the evidence.
func (c *Check) addSegments(segs []capture.Segment) {
	var f capture.Formatter
	b := record.Builder{Keep: func(int) bool { return true }, Done: func(rc *record.Conn) { c.conns = append(c.conns, rc) }}
	for i := range segs {
		s := &segs[i]
		if !c.log.owns(*s) {
			continue
		}
		c.Packets = append(c.Packets, f.Format(*s))
		b.Add(s)
		// Right after Add the connection that took s is tracked (it has
		// just had a packet, so the linger sweep cannot have ended it).
		rc := b.Lookup(s.Src, s.Dst)
		c.wire = append(c.wire, wirePacket{rc, len(rc.Timeline) - 1})
	}
	b.Flush()
	slices.SortFunc(c.conns, func(x, y *record.Conn) int { return x.ID - y.ID })
	if n, resets := serverSent(c.conns, c.log.server); resets > 0 {
		c.RST = true
		c.Evidence += fmt.Sprintf("; capture: %d [R] from the server, which had sent %d bytes of data", resets, n)
	}
}

// wirePacket places one captured segment: packet n of conn's Timeline.
type wirePacket struct {
	conn *record.Conn
	n    int
}

// serverSent sums the server's data bytes over the connections (the
// record counts the highest sequence reached, so retransmissions count
// once) and counts every [R] the server sent, not only each connection's
// first.
func serverSent(conns []*record.Conn, server netip.AddrPort) (bytes int64, resets int) {
	for _, rc := range conns {
		side := sideOf(rc, server)
		if side < 0 {
			continue
		}
		bytes += rc.Sides[side].Bytes
		for _, p := range rc.Timeline {
			if p.From == side && p.Flags.Has(capture.RST) {
				resets++
			}
		}
	}
	return bytes, resets
}

// sideOf is the index of rc's side at addr, -1 when neither is. The
// record calls client the side that sent the SYN; the probe knows its
// server by address, which holds also where the SYN was not captured.
func sideOf(rc *record.Conn, addr netip.AddrPort) int {
	for i := range rc.Sides {
		if rc.Sides[i].Addr == addr {
			return i
		}
	}
	return -1
}

// owns reports whether s belongs to one of the check's connections.
func (l *callLog) owns(s capture.Segment) bool {
	switch {
	case s.Proto != capture.TCP:
		return false
	case s.Src == l.server:
		return slices.Contains(l.ports, s.Dst.Port())
	case s.Dst == l.server:
		return slices.Contains(l.ports, s.Src.Port())
	}
	return false
}

// marker is a UDP socket on loopback whose datagram to itself marks the
// end of the capture (recorder.stop).
type marker struct {
	conn *net.UDPConn
	at   netip.AddrPort
	seen chan struct{}
	once sync.Once
}

func newMarker() (*marker, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("capture end marker: %w", err)
	}
	at := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return &marker{conn: conn, at: netip.AddrPortFrom(at.Addr().Unmap(), at.Port()), seen: make(chan struct{})}, nil
}

func (m *marker) send() error {
	_, err := m.conn.WriteToUDPAddrPort([]byte("end"), m.at)
	return err
}

func (m *marker) is(s capture.Segment) bool {
	return s.Proto == capture.UDP && s.Src == m.at && s.Dst == m.at
}

func (m *marker) saw()   { m.once.Do(func() { close(m.seen) }) }
func (m *marker) close() { _ = m.conn.Close() }
