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

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/tcpteardown/teardown/internal/netns"
	"golang.org/x/net/bpf"
)

// Ring geometry. TPACKET_V3 fills a block with many frames and hands it to
// us when it is full or when the block timeout expires; with a 1 ms timeout
// a quiet connection's segment reaches Next within about a millisecond
// (the default 64 ms would make a live display lag). Empty blocks are not
// retired, so 128 blocks of 128 KiB let the reader stall for at least
// 128 ms before the kernel drops (a 64 KiB lo segment fits in a block).
const (
	blockSize    = 128 << 10
	numBlocks    = 128
	frameSize    = 4096
	blockTimeout = time.Millisecond
)

// afSource reads an AF_PACKET TPACKET_V3 ring through gopacket/afpacket.
type afSource struct {
	closed atomic.Bool  // set first by Close so that a reader stops polling
	mu     sync.RWMutex // Close takes it exclusively: the ring is unmapped under no reader
	gone   bool         // the socket is closed (guarded by mu)
	tp     *afpacket.TPacket
	wake   *os.File  // the same socket, in Go's netpoller (wait)
	since  time.Time // frames stamped before the filter was attached are dropped…
	fresh  bool      // …until the first later one: the ring is FIFO, and a clock step must not hide packets
	base   Stats     // kernel counters at that moment
	final  Stats     // counters taken by close (guarded by mu)
}

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
	bind, loopback := c.Interface, false
	if c.Interface == anyInterface {
		// Bound to no interface, the socket sees them all. Outgoing
		// copies are kept: on lo every segment then shows twice, as with
		// tcpdump -i any. Only Ethernet-framed interfaces (lo, veth,
		// Ethernet) are decoded; a TUN device's frames have no link
		// header and do not pass the filter.
		bind = ""
	} else {
		ifi, err := net.InterfaceByName(c.Interface)
		if err != nil {
			return nil, fmt.Errorf("%w (list the interfaces with `ip link`, or use -i any)", err)
		}
		loopback = ifi.Flags&net.FlagLoopback != 0
	}
	prog, err := programFor(c, loopback)
	if err != nil {
		return nil, err
	}
	batch := blockTimeout
	if c.Batch > 0 {
		batch = c.Batch
	}
	tp, err := newTPacket(afpacket.OptInterface(bind),
		afpacket.TPacketVersion3, afpacket.OptBlockTimeout(batch),
		afpacket.OptPollTimeout(0), afpacket.OptBlockSize(blockSize), // poll timeout 0: never blocks, see wait
		afpacket.OptNumBlocks(numBlocks), afpacket.OptFrameSize(frameSize))
	if err != nil {
		return nil, socketError(err)
	}
	s := &afSource{tp: tp}
	if s.wake, err = newWaker(tp); err != nil {
		tp.Close()
		return nil, err
	}
	if err := s.attach(prog); err != nil {
		s.wake.Close()
		tp.Close()
		return nil, err
	}
	return s, nil
}

// socketError names the missing privilege: socket(AF_PACKET) fails with
// EPERM without CAP_NET_RAW.
func socketError(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: %w", ErrPermission, os.NewSyscallError("socket", err))
	}
	return fmt.Errorf("packet socket: %w", err)
}

// attach installs the filter and marks the moment from which frames count.
// The socket has received every frame of the interface since socket(2);
// those queued before the filter are recognised by their earlier stamps.
func (s *afSource) attach(prog []bpf.RawInstruction) error {
	if err := s.tp.SetBPF(prog); err != nil {
		return os.NewSyscallError("setsockopt SO_ATTACH_FILTER", err)
	}
	s.since = time.Now()
	base, err := s.kernelStats()
	s.base = base
	return err
}

func (s *afSource) read(ctx context.Context, keep bool) ([]byte, time.Time, int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, time.Time{}, 0, err
		}
		frame, ci, err := s.readOnce(keep)
		switch {
		case errors.Is(err, afpacket.ErrTimeout):
			if err := s.wait(ctx); err != nil {
				return nil, time.Time{}, 0, err
			}
			continue
		case err != nil:
			return nil, time.Time{}, 0, err
		case !s.fresh && ci.Timestamp.Before(s.since):
			continue
		}
		s.fresh = true
		return frame, ci.Timestamp, ci.Length, nil
	}
}

func (s *afSource) readOnce(keep bool) ([]byte, gopacket.CaptureInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.gone || s.closed.Load() {
		return nil, gopacket.CaptureInfo{}, io.EOF
	}
	data, ci, err := s.tp.ZeroCopyReadPacketData()
	if err != nil {
		if !errors.Is(err, afpacket.ErrTimeout) {
			err = fmt.Errorf("capture: read: %w", err)
		}
		return nil, ci, err
	}
	// The ring slot is handed back to the kernel on the next read: copy,
	// unless the caller is done with it before (NextFrame).
	if !keep {
		return data, ci, nil
	}
	return bytes.Clone(data), ci, nil
}

func (s *afSource) stats() (Stats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.gone {
		return s.final, nil
	}
	return s.kernelStats()
}

// kernelStats reads PACKET_STATISTICS (afpacket accumulates: the kernel
// resets the counters on every read) relative to the baseline.
func (s *afSource) kernelStats() (Stats, error) {
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return Stats{}, os.NewSyscallError("getsockopt PACKET_STATISTICS", err)
	}
	return Stats{
		Packets: uint64(v3.Packets()) - s.base.Packets,
		Drops:   uint64(v3.Drops()) - s.base.Drops,
	}, nil
}

func (s *afSource) close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.wake.Close() // ends a wait
	s.mu.Lock()    // waits for a reader inside afpacket (it never blocks)
	defer s.mu.Unlock()
	s.final, _ = s.kernelStats()
	s.gone = true
	s.tp.Close()
	return nil
}
