//go:build linux

package capture

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tcpteardown/teardown/internal/sys"
)

// Ring geometry. TPACKET_V3 fills a block with many frames and hands it to
// us when it is full or when the block timeout expires; with a 1 ms timeout
// a quiet connection's segment reaches Next within about a millisecond
// (the default 64 ms would make a live display lag). Empty blocks are not
// retired, so the default 128 blocks of 128 KiB let a live reader stall for
// at least 128 ms before the kernel drops (a 64 KiB lo segment fits in a
// block). The kernel zeroes the whole ring when it is set up, so a smaller
// one (Config.RingSize, capture -B) also starts faster.
const (
	liveBlock       = 128 << 10
	maxBlock        = 512 << 10
	defaultRingSize = 16 << 20
	minBlocks       = 8
	// frameSize only has to divide the block: a V3 block holds frames of
	// any size one after the other.
	frameSize    = 4096
	blockTimeout = time.Millisecond
	// batchTimeout is the block timeout from which blocks usually fill
	// before it expires.
	batchTimeout = 10 * time.Millisecond
)

// geometry chooses the ring's blocks for a ring of size bytes (0: the
// default) and a block timeout: size is rounded up to whole blocks, at
// least minBlocks of them. A live capture's blocks are handed over part
// filled, so it takes small ones: the number of blocks is what lets its
// reader stall without loss. A batched capture's blocks fill first, so it
// takes blocks as large as 512 KiB (keeping at least minBlocks): each
// hand-over wakes the reader, and fewer of them cost less (measured:
// 512 KiB blocks took about a tenth off capture -w's CPU against 128 KiB;
// libpcap gives tcpdump 256 KiB).
func geometry(size int, timeout time.Duration) (block, blocks int) {
	if size <= 0 {
		size = defaultRingSize
	}
	block = liveBlock
	for timeout >= batchTimeout && block < maxBlock && 2*block*minBlocks <= size {
		block *= 2
	}
	return block, max((size+block-1)/block, minBlocks)
}

// ring is the mapped TPACKET_V3 receive ring as its one reader walks it.
// Blocks go round in order: the kernel fills block i, then i+1, and hands
// each over by setting its block_status to TP_STATUS_USER; the reader reads
// every frame of it and hands it back with TP_STATUS_KERNEL. The kernel
// never touches a block while it is the reader's, so the frames need no
// lock; block_status is the only word both sides write, with atomic loads
// and stores (the kernel orders its writes of the frames before it).
type ring struct {
	mem    []byte // blocks × block bytes shared with the kernel
	block  int
	blocks int
	cur    int  // the block being read, or the next one to be handed over
	held   bool // block cur is ours (TP_STATUS_USER) and being read
	left   int  // frames of block cur not read yet
	off    int  // offset in block cur of the next frame's header
}

// frame is one frame of the ring: data aliases the ring.
type frame struct {
	data    []byte
	sec     uint32
	nsec    uint32
	wireLen int
}

// header is the header of block i.
func (r *ring) header(i int) *sys.TpacketHdrV1 {
	return (*sys.TpacketHdrV1)(unsafe.Pointer(&r.mem[i*r.block+sys.TpacketBlockHdrOffset]))
}

// ready reports whether the kernel has handed block cur over (or the
// reader holds it).
func (r *ring) ready() bool {
	return r.held || atomic.LoadUint32(&r.header(r.cur).Block_status)&sys.TP_STATUS_USER != 0
}

// acquire takes block cur if the kernel has handed it over.
func (r *ring) acquire() bool {
	h := r.header(r.cur)
	if atomic.LoadUint32(&h.Block_status)&sys.TP_STATUS_USER == 0 {
		return false
	}
	r.held, r.left, r.off = true, int(h.Num_pkts), int(h.Offset_to_first_pkt)
	return true
}

// release hands block cur back to the kernel and moves to the next.
func (r *ring) release() {
	atomic.StoreUint32(&r.header(r.cur).Block_status, sys.TP_STATUS_KERNEL)
	r.held = false
	r.cur++
	if r.cur == r.blocks {
		r.cur = 0
	}
}

// next returns the next frame of the block held. When that block has no
// more, it is handed back (the caller is done with the last frame: a frame
// is valid until the next read) and next reports false.
func (r *ring) next() (frame, bool) {
	if !r.held {
		return frame{}, false
	}
	if r.left > 0 {
		if f, ok := r.frame(); ok {
			return f, true
		}
	}
	r.release()
	return frame{}, false
}

// frame reads the frame at r.off and moves past it. A header or data
// outside the block (which the kernel never writes) ends the block.
func (r *ring) frame() (frame, bool) {
	blk := r.mem[r.cur*r.block : (r.cur+1)*r.block]
	if r.off < 0 || r.off > len(blk)-sys.SizeofTpacket3Hdr {
		return frame{}, false
	}
	h := (*sys.Tpacket3Hdr)(unsafe.Pointer(&blk[r.off]))
	start := r.off + int(h.Mac)
	end := start + int(h.Snaplen)
	if end > len(blk) {
		return frame{}, false
	}
	f := frame{data: blk[start:end:end], sec: h.Sec, nsec: h.Nsec, wireLen: int(h.Len)}
	r.left--
	r.off += int(h.Next_offset)
	return f, true
}

// stamp is the frame's kernel receive time (CLOCK_REALTIME).
func (f *frame) stamp() time.Time { return time.Unix(int64(f.sec), int64(f.nsec)) }
