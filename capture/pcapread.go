package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// FileReader reads the packets of a pcap or pcapng file, told apart by the
// first four bytes (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng).
// pcap is read in both byte orders with microsecond or nanosecond stamps;
// pcapng section by section (each names its byte order), with each
// interface's link type and stamp resolution, from enhanced, simple and
// obsolete packet blocks. Blocks it has no use for are skipped.
//
// Next returns io.EOF at the end of a whole file and io.ErrUnexpectedEOF
// when the file ends inside a header, a packet or a block.
type FileReader struct {
	r      *bufio.Reader
	ng     bool
	order  binary.ByteOrder
	nano   bool      // pcap: stamps in nanoseconds
	link   int       // pcap: the file's link type
	ifaces []ngIface // pcapng: this section's interfaces
	hdr    [24]byte
	buf    []byte
}

// FilePacket is one packet of a file. Data is valid until the next call
// to Next.
type FilePacket struct {
	Data     []byte
	Time     time.Time // UTC; zero for a pcapng simple packet block, which has none
	WireLen  int       // length on the wire, ≥ len(Data) unless the file says otherwise
	LinkType int       // LINKTYPE_ value: LinkEthernet, LinkRaw, …
}

type ngIface struct {
	link   int
	snap   uint32
	unit   tsUnit
	offset int64 // if_tsoffset, seconds
}

// MaxFilePacket bounds one packet's length: libpcap's largest snap length
// (MAXIMUM_SNAPLEN, 262144), so a corrupt length cannot make the reader
// allocate gigabytes.
const MaxFilePacket = 262144

// maxNgBlock bounds a pcapng block that the reader keeps in memory (one
// packet and its options); other blocks are skipped without being kept.
const maxNgBlock = MaxFilePacket + 64<<10

// NewFileReader reads the file header (pcap) or the first section header
// block (pcapng).
func NewFileReader(r io.Reader) (*FileReader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	fr := &FileReader{r: br}
	magic, err := br.Peek(4)
	if err != nil {
		return nil, unexpected(err)
	}
	if binary.BigEndian.Uint32(magic) == ngSHB {
		fr.ng = true
		if err := fr.readSHB(); err != nil {
			return nil, err
		}
		return fr, nil
	}
	return fr, fr.readPcapHeader()
}

// Format is "pcap" or "pcapng".
func (r *FileReader) Format() string {
	if r.ng {
		return "pcapng"
	}
	return "pcap"
}

// unexpected: inside a structure, any end of the file is a cut.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Next returns the next packet.
func (r *FileReader) Next() (FilePacket, error) {
	if r.ng {
		return r.nextNg()
	}
	return r.nextPcap()
}

// readPcapHeader: magic (its byte order is the file's), version (2), two
// unused fields, snap length, link type (the low 16 bits; the high ones
// may carry FCS information).
func (r *FileReader) readPcapHeader() error {
	h := r.hdr[:24]
	if _, err := io.ReadFull(r.r, h); err != nil {
		return unexpected(err)
	}
	switch magic := binary.LittleEndian.Uint32(h); magic {
	case pcapMagicMicro, pcapMagicNano:
		r.order = binary.LittleEndian
	default:
		r.order = binary.BigEndian
		if m := binary.BigEndian.Uint32(h); m != pcapMagicMicro && m != pcapMagicNano {
			return fmt.Errorf("unknown magic %08x", binary.BigEndian.Uint32(h))
		}
	}
	r.nano = r.order.Uint32(h) == pcapMagicNano
	if v := r.order.Uint16(h[4:]); v != 2 {
		return fmt.Errorf("pcap version %d.%d not supported (want 2.4)", v, r.order.Uint16(h[6:]))
	}
	r.link = int(r.order.Uint32(h[20:]) & 0xffff)
	return nil
}

// nextPcap: each packet is seconds, sub-second units, kept length, wire
// length, then the kept bytes.
func (r *FileReader) nextPcap() (FilePacket, error) {
	h, err := r.r.Peek(16)
	if err != nil {
		if len(h) == 0 && errors.Is(err, io.EOF) {
			return FilePacket{}, io.EOF
		}
		return FilePacket{}, unexpected(err)
	}
	caplen, wire := r.order.Uint32(h[8:]), r.order.Uint32(h[12:])
	if caplen > MaxFilePacket {
		return FilePacket{}, fmt.Errorf("packet of %d bytes: more than any capture keeps (%d)", caplen, MaxFilePacket)
	}
	frac := int64(r.order.Uint32(h[4:]))
	if !r.nano {
		frac *= 1000
	}
	t := time.Unix(int64(r.order.Uint32(h)), frac).UTC()
	rec, err := r.read(16 + int(caplen))
	if err != nil {
		return FilePacket{}, err
	}
	return FilePacket{Data: rec[16:], Time: t, WireLen: int(wire), LinkType: r.link}, nil
}

// read returns the next n bytes: in the bufio.Reader's own buffer when
// they fit there (no copy; valid until the next read), else in the
// reader's reused buffer.
func (r *FileReader) read(n int) ([]byte, error) {
	if n <= r.r.Size() {
		b, err := r.r.Peek(n)
		if err != nil {
			return nil, unexpected(err)
		}
		_, _ = r.r.Discard(n) // cannot fail: Peek has n bytes buffered
		return b, nil
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return nil, unexpected(err)
	}
	return b, nil
}
