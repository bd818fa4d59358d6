package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Writer writes captured segments to a pcap or pcapng file that tcpdump -r
// and Wireshark read. Frames are Ethernet (lo included: its frames carry
// zero MACs). pcap files use nanosecond stamps (magic a1b23c4d), keeping
// the kernel's full precision.
type Writer struct {
	buf *bufio.Writer // pcap only: pcapgo's NgWriter buffers itself
	pw  *pcapgo.Writer
	ngw *pcapgo.NgWriter
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
	if fi.PcapNG {
		intf := pcapgo.DefaultNgInterface
		intf.Name, intf.LinkType, intf.SnapLength = iface, layers.LinkTypeEthernet, uint32(snap)
		ngw, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.DefaultNgWriterOptions)
		if err == nil {
			err = ngw.Flush()
		}
		if err != nil {
			return nil, fmt.Errorf("capture: write pcapng header: %w", err)
		}
		return &Writer{ngw: ngw}, nil
	}
	buf := bufio.NewWriterSize(w, 64<<10)
	pw := pcapgo.NewWriterNanos(buf)
	err := pw.WriteFileHeader(uint32(snap), layers.LinkTypeEthernet)
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("capture: write pcap header: %w", err)
	}
	return &Writer{buf: buf, pw: pw}, nil
}

// errNoFrame: only segments from a live capture (or Decode) carry the frame.
var errNoFrame = errors.New("capture: write: segment has no raw frame")

// Write appends one segment's frame with its kernel stamp.
func (w *Writer) Write(s Segment) error {
	if len(s.Raw) == 0 {
		return errNoFrame
	}
	ci := gopacket.CaptureInfo{Timestamp: s.Time, CaptureLength: len(s.Raw), Length: max(s.WireLen, len(s.Raw))}
	var err error
	if w.ngw != nil {
		err = w.ngw.WritePacket(ci, s.Raw)
	} else {
		err = w.pw.WritePacket(ci, s.Raw)
	}
	if err != nil {
		return fmt.Errorf("capture: write: %w", err)
	}
	return nil
}

// WriteFrame appends an undecoded frame (Capture.NextFrame).
func (w *Writer) WriteFrame(f Frame) error {
	ci := gopacket.CaptureInfo{Timestamp: f.Time, CaptureLength: len(f.Data), Length: max(f.WireLen, len(f.Data))}
	var err error
	if w.ngw != nil {
		err = w.ngw.WritePacket(ci, f.Data)
	} else {
		err = w.pw.WritePacket(ci, f.Data)
	}
	if err != nil {
		return fmt.Errorf("capture: write: %w", err)
	}
	return nil
}

// Flush pushes buffered packets to the underlying writer.
func (w *Writer) Flush() error {
	var err error
	if w.ngw != nil {
		err = w.ngw.Flush()
	} else {
		err = w.buf.Flush()
	}
	if err != nil {
		return fmt.Errorf("capture: flush: %w", err)
	}
	return nil
}

// WriteStats records the kernel's counters of the capture in a pcapng file
// (an interface statistics block: received and dropped packets, start and
// end), as tcpdump does when it stops. A pcap file has no place for them:
// nothing is written.
func (w *Writer) WriteStats(start, end time.Time, st Stats) error {
	if w.ngw == nil {
		return nil
	}
	err := w.ngw.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: end, StartTime: start, EndTime: end,
		PacketsReceived: st.Packets, PacketsDropped: st.Drops})
	if err != nil {
		return fmt.Errorf("capture: write statistics: %w", err)
	}
	return nil
}

// Close flushes the writer. The underlying io.Writer stays open.
func (w *Writer) Close() error { return w.Flush() }
