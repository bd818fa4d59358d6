//go:build linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/sys"
	"golang.org/x/net/bpf"
)

// ringSource reads the TPACKET_V3 ring of an AF_PACKET socket
// (ring_linux.go). The reader takes no lock per frame. Close may come from
// another goroutine at any time, so the ring is unmapped by whoever is last:
// state counts the reads in progress and close sets closedBit in it; the one
// that leaves it at closedBit alone (close with no read under way, or the
// read that was) unmaps. A read that starts after close returns io.EOF
// without touching the ring.
type ringSource struct {
	state    atomic.Uint32
	unmapped atomic.Bool
	armed    atomic.Bool // ctx ended an earlier wait: the socket's read deadline is in the past

	r     ring            // the reader's alone (inside read)
	fd    int             // the packet socket…
	file  *os.File        // …owned by this file, in Go's netpoller (wait)
	rc    syscall.RawConn // file's
	since time.Time       // frames stamped before the filter was attached are dropped…
	fresh bool            // …until the first later one: the ring is FIFO, and a clock step must not hide packets

	mu    sync.Mutex // the counters, between stats and close
	gone  bool       // close has taken final; the socket may be closed
	total Stats      // PACKET_STATISTICS summed since the socket was made (the kernel resets on read)
	base  Stats      // total when the socket was bound
	final Stats
}

// closedBit is set in ringSource.state by close; the rest counts reads.
const closedBit = 1 << 31

func open(c *Config) (source, error) {
	if c.NetNS == 0 {
		return openHere(c)
	}
	var src source
	// The packet socket is created on a throw-away thread inside the
	// namespace (internal/netns: the one safe way) and keeps it for life.
	err := netns.DoFD(c.NetNS, func() (err error) {
		src, err = openHere(c)
		return err
	})
	return src, err
}

// anyInterface is tcpdump's name for all interfaces at once.
const anyInterface = "any"

func openHere(c *Config) (source, error) {
	ifindex, loopback := 0, false
	if c.Interface != anyInterface {
		ifi, err := net.InterfaceByName(c.Interface)
		if err != nil {
			return nil, fmt.Errorf("%w (list the interfaces with `ip link`, or use -i any)", err)
		}
		ifindex, loopback = ifi.Index, ifi.Flags&net.FlagLoopback != 0
	}
	// Bound to no interface (-i any), the socket sees them all. Outgoing
	// copies are kept: on lo every segment then shows twice, as with
	// tcpdump -i any. Only Ethernet-framed interfaces (lo, veth,
	// Ethernet) are decoded; a TUN device's frames have no link header and
	// do not pass the filter.
	prog, err := programFor(c, loopback)
	if err != nil {
		return nil, err
	}
	// Close-on-exec from the start (SOCK_CLOEXEC): a program the lab starts
	// meanwhile must not inherit the socket and keep the ring alive.
	fd, err := sys.PacketSocket()
	if err != nil {
		return nil, socketError(err)
	}
	s := &ringSource{fd: fd, file: os.NewFile(uintptr(fd), "packet socket")}
	if err := s.setup(c, prog, ifindex); err != nil {
		s.file.Close()
		return nil, err
	}
	return s, nil
}

// socketError names the missing privilege: socket(AF_PACKET) fails with
// EPERM without CAP_NET_RAW.
func socketError(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return fmt.Errorf("packet socket: %w", err)
}

// setup maps the ring and attaches the filter, then binds: the socket was
// made with protocol 0 and receives nothing before, so every frame in the
// ring has passed the filter.
func (s *ringSource) setup(c *Config, prog []bpf.RawInstruction, ifindex int) error {
	rc, err := s.file.SyscallConn()
	if err != nil {
		return err
	}
	s.rc = rc
	if err := s.mapRing(c); err != nil {
		return err
	}
	if err := s.attach(prog, ifindex); err != nil {
		s.unmap()
		return err
	}
	return nil
}

// mapRing sets up the TPACKET_V3 ring: a frame is handed over at the
// latest c.Batch after it arrived (its block's timeout).
func (s *ringSource) mapRing(c *Config) error {
	batch := blockTimeout
	if c.Batch > 0 {
		batch = c.Batch
	}
	block, blocks := geometry(c.RingSize, batch)
	if err := sys.PacketVersionV3(s.fd); err != nil {
		return err
	}
	if err := sys.PacketRxRing(s.fd, block, blocks, frameSize, batch); err != nil {
		return err
	}
	mem, err := sys.Mmap(s.fd, blocks*block)
	if err != nil {
		return err
	}
	s.r = ring{mem: mem, block: block, blocks: blocks}
	return nil
}

// attach installs the filter, marks the moment from which frames count,
// takes the counters' baseline and binds the socket to its interface.
func (s *ringSource) attach(prog []bpf.RawInstruction, ifindex int) error {
	if err := sys.AttachFilter(s.fd, prog); err != nil {
		return fmt.Errorf("SO_ATTACH_FILTER: %w", err)
	}
	s.since = time.Now()
	if _, err := s.kernelStats(); err != nil {
		return err
	}
	s.base = s.total
	return sys.BindPacket(s.fd, ifindex)
}

func (s *ringSource) read(ctx context.Context, keep bool) ([]byte, time.Time, int, error) {
	if s.state.Add(1)&closedBit != 0 {
		s.leave()
		return nil, time.Time{}, 0, io.EOF
	}
	defer s.leave()
	for {
		f, ok := s.r.next()
		if !ok {
			if err := s.refill(ctx); err != nil {
				return nil, time.Time{}, 0, err
			}
			continue
		}
		stamp := f.stamp()
		if !s.fresh {
			if stamp.Before(s.since) {
				continue
			}
			s.fresh = true
		}
		// The block is handed back to the kernel on a later read: copy,
		// unless the caller is done with the frame before (NextFrame).
		if keep {
			return bytes.Clone(f.data), stamp, f.wireLen, nil
		}
		return f.data, stamp, f.wireLen, nil
	}
}

// refill takes the next block, waiting for the kernel to hand it over. ctx
// is checked here, once per block: a capture whose ring never empties
// still stops within a block.
func (s *ringSource) refill(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.r.acquire() {
			return nil
		}
		if err := s.wait(ctx); err != nil {
			return err
		}
	}
}

// leave ends a read; the last one out after close unmaps.
func (s *ringSource) leave() {
	if s.state.Add(^uint32(0)) == closedBit {
		s.unmap()
	}
}

// unmap releases the ring, once.
func (s *ringSource) unmap() {
	if s.unmapped.Swap(true) || s.r.mem == nil {
		return
	}
	_ = sys.Munmap(s.r.mem) // fails only for a mapping that is not one: nothing to do then
}

func (s *ringSource) stats() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return s.final, nil
	}
	return s.kernelStats()
}

// kernelStats adds what PACKET_STATISTICS counted since the last read (it
// resets the kernel's counters) to the totals and returns them relative to
// the baseline; on failure, the totals read before. Callers hold mu, or
// have the source to themselves.
func (s *ringSource) kernelStats() (Stats, error) {
	packets, drops, err := sys.PacketStatistics(s.fd) // zeros on failure
	s.total.Packets += uint64(packets)
	s.total.Drops += uint64(drops)
	return Stats{Packets: s.total.Packets - s.base.Packets, Drops: s.total.Drops - s.base.Drops}, err
}

func (s *ringSource) close() error {
	if s.state.Or(closedBit)&closedBit != 0 {
		return nil
	}
	s.mu.Lock()
	s.final, _ = s.kernelStats() // on failure, the totals read before
	s.gone = true
	s.mu.Unlock()
	// Ends a wait at once (the poller wakes it); the descriptor itself is
	// closed when that wait has returned.
	err := s.file.Close()
	if s.state.Load() == closedBit {
		s.unmap()
	}
	return err
}
