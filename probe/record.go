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
)

// recorder captures the probe's own connections: every segment to or from
// the target's port on the loopback interface. A nil *recorder records
// nothing; its methods are no-ops.
type recorder struct {
	cap    *capture.Capture
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	segs   []capture.Segment
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
	c, err := capture.Open(&capture.Config{Interface: orDefault(t.cfg.Interface, "lo"), Ports: []uint16{port}})
	if errors.Is(err, capture.ErrPermission) {
		return nil, NoteNoRoot
	}
	if err != nil {
		return nil, "no packets: " + err.Error()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{cap: c, cancel: cancel, done: make(chan struct{})}
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
		r.mu.Lock()
		r.segs = append(r.segs, s)
		r.mu.Unlock()
	}
}

// stop ends the capture 5 ms after the last check, so that the ring's last
// block (1 ms block timeout) is delivered.
func (r *recorder) stop() {
	if r == nil {
		return
	}
	time.Sleep(5 * time.Millisecond)
	r.cancel()
	<-r.done
	_ = r.cap.Close()
}

// attach gives c the segments of its own connections, and the capture's
// word on resets: an [R] from the server is an RST even where the client's
// reads had already ended.
func (r *recorder) attach(c *Check) {
	if r == nil || c.log == nil {
		return
	}
	var f capture.Formatter
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.segs {
		if c.log.owns(s) {
			c.segs = append(c.segs, s)
			c.Packets = append(c.Packets, f.Format(s))
		}
	}
	if n, resets := serverSent(c.segs, c.log.server); resets > 0 {
		c.RST = true
		c.Evidence += fmt.Sprintf("; capture: %d [R] from the server, which had sent %d bytes of data", resets, n)
	}
}

// serverSent counts the server's data bytes (highest sequence reached
// past each SYN, so retransmissions count once) and its resets.
func serverSent(segs []capture.Segment, server netip.AddrPort) (bytes int64, resets int) {
	isn := map[netip.AddrPort]uint32{}
	high := map[netip.AddrPort]int64{}
	for _, s := range segs {
		if s.Src != server {
			continue
		}
		if s.Flags.Has(capture.SYN) {
			isn[s.Dst] = s.Seq + 1
		}
		if s.Flags.Has(capture.RST) {
			resets++
		}
		if _, known := isn[s.Dst]; known && s.Len > 0 {
			high[s.Dst] = max(high[s.Dst], int64(s.Seq-isn[s.Dst])+int64(s.Len))
		}
	}
	for _, h := range high {
		bytes += h
	}
	return bytes, resets
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
