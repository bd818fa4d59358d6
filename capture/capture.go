package capture

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config says what to capture. A nil *Config captures all TCP and UDP on lo.
type Config struct {
	Interface string   // default "lo"
	Ports     []uint16 // TCP and UDP ports, either end, plus ICMP/ICMPv6 errors quoting them; empty = all TCP/UDP
	SnapLen   int      // bytes kept per frame; default DefaultSnapLen (262144)
	// Filter, when set, chooses the frames instead of the port filter:
	// a tcpdump-style expression (ParseExpr); Ports still apply (and-ed).
	Filter *Expr
	// Batch lets the kernel hold frames up to this long to hand them over
	// in fuller blocks (fewer wake-ups: cheaper per packet). 0 means 1 ms,
	// right for a live display; a file writer can take 100 ms or more, as
	// tcpdump -w does (libpcap's default timeout is 1 s).
	Batch time.Duration
	// RingSize is the kernel's capture buffer in bytes (tcpdump -B): the
	// TPACKET_V3 ring, rounded up to whole blocks (128 KiB; with a Batch
	// of 10 ms or more, up to 512 KiB), at least 8 of them. 0 means
	// 16 MiB, enough for a live reader stalled 128 ms or more. The kernel
	// zeroes all of it at Open, so a smaller ring starts cheaper; frames
	// that find it full are dropped and counted in Stats.Drops.
	RingSize int
	// NetNS is a descriptor of the network namespace to capture in (e.g.
	// an open /run/netns/NAME); 0 is the caller's. The packet socket is
	// created there and sees only that namespace's interfaces, as if Open
	// were called inside (*netns.NS).Do.
	NetNS int
}

// Stats are the kernel's counters for the capture socket since Open
// (PACKET_STATISTICS): Packets passed the filter, Drops of them found the
// ring full and were lost. Packets includes Drops, as in tcpdump's
// "received by filter".
type Stats struct {
	Packets uint64
	Drops   uint64
}

// Capture is an open packet capture. Next may be called from one goroutine
// while another calls Stats or Close.
type Capture struct {
	cfg Config
	src source
}

// source is the per-OS packet reader.
type source interface {
	// read blocks until a frame arrives, ctx is done or the source is
	// closed (io.EOF). With keep the frame is a fresh copy the caller
	// keeps; without, it aliases the ring and is valid until the next read
	// or close.
	read(ctx context.Context, keep bool) (frame []byte, stamp time.Time, wireLen int, err error)
	stats() (Stats, error)
	close() error
}

// ErrPermission is wrapped by Open when the process may not open a packet
// socket (it needs CAP_NET_RAW).
var ErrPermission = errors.New("packet capture needs root or CAP_NET_RAW")

// Open starts capturing. Call it inside (*netns.NS).Do to capture in a
// network namespace: the socket stays there. Close it when done.
func Open(cfg *Config) (*Capture, error) {
	c := withDefaults(cfg)
	src, err := open(&c)
	if err != nil {
		return nil, fmt.Errorf("capture: open %s: %w", c.Interface, err)
	}
	return &Capture{cfg: c, src: src}, nil
}

func withDefaults(cfg *Config) Config {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Interface == "" {
		c.Interface = "lo"
	}
	if c.SnapLen <= 0 {
		c.SnapLen = DefaultSnapLen
	}
	c.Ports = slices.Clone(c.Ports)
	return c
}

// Next blocks until the next matching packet and returns it decoded, with
// Time set to the kernel's receive stamp (CLOCK_REALTIME). It returns
// ctx.Err() when ctx is done and io.EOF once the capture is closed.
// Frames the decoder cannot read are skipped.
func (c *Capture) Next(ctx context.Context) (Segment, error) {
	for {
		frame, stamp, wireLen, err := c.src.read(ctx, true)
		if err != nil {
			return Segment{}, err
		}
		s, err := Decode(frame)
		if err != nil || !c.wanted(&s) {
			continue
		}
		s.Time, s.WireLen = stamp, wireLen
		return s, nil
	}
}

// Frame is a captured frame as the kernel delivered it, not decoded.
type Frame struct {
	Data    []byte
	Time    time.Time // kernel receive stamp, CLOCK_REALTIME
	WireLen int       // length on the wire (Data may be cut at the snap length)
}

// NextFrame is Next without decoding, for writing a file: like tcpdump -w,
// it stores what the kernel filter passed without parsing it, which is
// most of the cost of Next. Frames stamped before the filter was attached
// are skipped as by Next. Data is not copied: it is the kernel's ring
// slot, valid until the next NextFrame, Next or Close (write it out before).
func (c *Capture) NextFrame(ctx context.Context) (Frame, error) {
	data, stamp, wireLen, err := c.src.read(ctx, false)
	if err != nil {
		return Frame{}, err
	}
	return Frame{Data: data, Time: stamp, WireLen: wireLen}, nil
}

// wanted re-checks the ports in Go. The kernel filter already did, but a
// packet socket receives from the moment it is created, before the filter
// is attached; this keeps those first frames out.
func (c *Capture) wanted(s *Segment) bool {
	if len(c.cfg.Ports) == 0 {
		return true
	}
	a, b := s.Src.Port(), s.Dst.Port()
	if s.Proto == ICMP {
		a, b = s.Quoted.Src.Port(), s.Quoted.Dst.Port()
	}
	return slices.Contains(c.cfg.Ports, a) || slices.Contains(c.cfg.Ports, b)
}

// Stats returns the kernel's counters since Open.
func (c *Capture) Stats() (Stats, error) {
	st, err := c.src.stats()
	if err != nil {
		return st, fmt.Errorf("capture: stats: %w", err)
	}
	return st, nil
}

// Close stops the capture and releases the socket and its ring. A Next
// blocked in another goroutine returns io.EOF. Close is idempotent.
func (c *Capture) Close() error { return c.src.close() }

// Interface returns the interface being captured.
func (c *Capture) Interface() string { return c.cfg.Interface }

// SnapLen returns the snap length in effect.
func (c *Capture) SnapLen() int { return c.cfg.SnapLen }
