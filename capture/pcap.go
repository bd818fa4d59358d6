package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"
)

// Writer writes captured segments to a pcap or pcapng file that tcpdump -r
// and Wireshark read. Frames are Ethernet (lo included: its frames carry
// zero MACs). pcap files use nanosecond stamps (magic a1b23c4d), keeping
// the kernel's full precision; pcapng files say so with if_tsresol 9.
//
// The formats are those of draft-ietf-opsawg-pcap (a 24-byte file header,
// then a 16-byte header before each packet) and draft-ietf-opsawg-pcapng
// (blocks: see pcapng.go). Both are written little-endian.
type Writer struct {
	buf     *bufio.Writer
	ng      bool
	blk     []byte // pcapng: the block being built, reused
	hdr     [16]byte
	comment string // pcapng: the next packet's opt_comment (WriteComment)
}

// NewWriter writes the file header (pcapng when ng is true) and flushes it
// at once, so an unwritable destination fails here and not after the first
// packet. Close flushes; it does not close w.
func NewWriter(w io.Writer, ng bool) (*Writer, error) {
	return NewFileWriter(w, &FileInfo{PcapNG: ng})
}

// FileInfo describes a capture file: its format, and for pcapng the
// interface block's name and snap length (what tcpdump and Wireshark show
// as the capture's interface).
type FileInfo struct {
	PcapNG    bool
	Interface string // default "lo"
	SnapLen   int    // default DefaultSnapLen
}

// Link types (the LINKTYPE_ values of the tcpdump.org registry,
// draft-ietf-opsawg-pcaplinktype).
const (
	LinkNull     = 0   // BSD loopback: 4-byte address family in host order
	LinkEthernet = 1   // what AF_PACKET gives on lo and Ethernet devices
	LinkRawOld   = 12  // raw IP as OpenBSD numbers it (DLT_RAW)
	LinkRaw      = 101 // raw IP, version in the first nibble
	LinkLoop     = 108 // OpenBSD loopback: the family in network order
	LinkLinuxSLL = 113 // Linux "cooked" v1, 16 bytes (tcpdump -i any)
	LinkIPv4     = 228
	LinkIPv6     = 229
	LinkSLL2     = 276 // Linux "cooked" v2, 20 bytes (libpcap ≥ 1.10)
)

const (
	pcapMagicMicro = 0xa1b2c3d4 // stamps in microseconds
	pcapMagicNano  = 0xa1b23c4d // stamps in nanoseconds
)

// writeBuffer is how much a Writer holds before each write(2). In a Go
// program a system call that finds the runtime's sysmon thread asleep wakes
// it, and it then polls every 20 µs for as long as the program stays busy:
// with 64 KiB a capture -w wrote about once per ring block, and sysmon's
// wake-ups were the largest part of its context switches. Larger writes
// took about 15 % off its CPU (docs/performance.md, "capture -w cost").
const writeBuffer = 256 << 10

// NewFileWriter is NewWriter with the interface's name and snap length in
// the file's headers.
func NewFileWriter(w io.Writer, fi *FileInfo) (*Writer, error) {
	iface, snap := "lo", DefaultSnapLen
	if fi.Interface != "" {
		iface = fi.Interface
	}
	if fi.SnapLen > 0 {
		snap = fi.SnapLen
	}
	wr := &Writer{buf: bufio.NewWriterSize(w, writeBuffer), ng: fi.PcapNG}
	what := "pcap"
	if fi.PcapNG {
		what = "pcapng"
		wr.writeNgHeader(iface, uint32(snap))
	} else {
		wr.writePcapHeader(uint32(snap))
	}
	if err := wr.buf.Flush(); err != nil {
		return nil, fmt.Errorf("capture: write %s header: %w", what, err)
	}
	return wr, nil
}

// writePcapHeader: magic, version 2.4, two zero fields (thiszone and
// sigfigs, unused), snap length, link type.
func (w *Writer) writePcapHeader(snap uint32) {
	var h [24]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], pcapMagicNano)
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], snap)
	le.PutUint32(h[20:], LinkEthernet)
	_ = w.put(h[:]) // bufio.Writer keeps the error: NewFileWriter's Flush reports it
}

// writeNgHeader: one section (unknown length, -1) naming the writer, and
// one Ethernet interface with its name, snap length and nanosecond stamps.
func (w *Writer) writeNgHeader(iface string, snap uint32) {
	k := newNgBlock(w.blk, ngSHB)
	k.u32(ngByteOrderMagic)
	k.u16(1) // version 1.0
	k.u16(0)
	k.u64(^uint64(0)) // section length not given
	k.opt(optSHBOS, []byte(runtime.GOOS))
	k.opt(optSHBAppl, []byte("teardown"))
	_ = w.put(k.done(true)) // bufio.Writer keeps the error: NewFileWriter's Flush reports it

	k = newNgBlock(k.b, ngIDB)
	k.u16(LinkEthernet)
	k.u16(0)
	k.u32(snap)
	k.opt(optIfName, []byte(iface))
	k.opt(optIfTsresol, []byte{9})
	_ = w.put(k.done(true)) // bufio.Writer keeps the error: NewFileWriter's Flush reports it
	w.blk = k.b
}

// errNoFrame: only segments from a live capture (or Decode) carry the frame.
var errNoFrame = errors.New("capture: write: segment has no raw frame")

// Write appends one segment's frame with its kernel stamp.
func (w *Writer) Write(s Segment) error {
	if len(s.Raw) == 0 {
		return errNoFrame
	}
	return w.packet(s.Time, s.Raw, s.WireLen)
}

// WriteFrame appends an undecoded frame (Capture.NextFrame).
func (w *Writer) WriteFrame(f Frame) error {
	return w.packet(f.Time, f.Data, f.WireLen)
}

// WriteComment appends one segment's frame with a comment that Wireshark
// shows with the packet (pcapng's opt_comment: "dropped by the wire: drop
// client>server F."). A pcap file has no place for it: the packet is
// written alone.
func (w *Writer) WriteComment(s Segment, comment string) error {
	if len(s.Raw) == 0 {
		return errNoFrame
	}
	w.comment = comment
	defer func() { w.comment = "" }()
	return w.packet(s.Time, s.Raw, s.WireLen)
}

// packet writes one packet record (pcap) or enhanced packet block (pcapng,
// interface 0). The length on the wire is never below what was kept.
func (w *Writer) packet(t time.Time, data []byte, wire int) error {
	wire = max(wire, len(data))
	var err error
	if w.ng {
		k := newNgBlock(w.blk, ngEPB)
		k.u32(0)
		k.stamp(t)
		k.u32(uint32(len(data)))
		k.u32(uint32(wire))
		k.bytes(data)
		if w.comment != "" {
			k.opt(optComment, []byte(w.comment))
		}
		w.blk = k.b
		err = w.put(k.done(w.comment != ""))
	} else {
		le := binary.LittleEndian
		le.PutUint32(w.hdr[0:], uint32(t.Unix()))
		le.PutUint32(w.hdr[4:], uint32(t.Nanosecond()))
		le.PutUint32(w.hdr[8:], uint32(len(data)))
		le.PutUint32(w.hdr[12:], uint32(wire))
		err = w.put(w.hdr[:], data)
	}
	if err != nil {
		return fmt.Errorf("capture: write: %w", err)
	}
	return nil
}

// put writes parts to the buffer; bufio.Writer keeps its first error, so
// one returned here is the first of the writer's life.
func (w *Writer) put(parts ...[]byte) error {
	for _, p := range parts {
		if _, err := w.buf.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// Flush pushes buffered packets to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("capture: flush: %w", err)
	}
	return nil
}

// WriteStats records the kernel's counters of the capture in a pcapng file
// (an interface statistics block: received and dropped packets, start and
// end), as tcpdump does when it stops. A pcap file has no place for them:
// nothing is written.
func (w *Writer) WriteStats(start, end time.Time, st Stats) error {
	if !w.ng {
		return nil
	}
	k := newNgBlock(w.blk, ngISB)
	k.u32(0) // interface 0
	k.stamp(end)
	k.opt(optISBStart, stampOpt(start))
	k.opt(optISBEnd, stampOpt(end))
	k.opt(optISBIfRecv, le64(st.Packets))
	k.opt(optISBIfDrop, le64(st.Drops))
	w.blk = k.b
	if err := w.put(k.done(true)); err != nil {
		return fmt.Errorf("capture: write statistics: %w", err)
	}
	return nil
}

// Close flushes the writer. The underlying io.Writer stays open.
func (w *Writer) Close() error { return w.Flush() }
