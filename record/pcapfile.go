package record

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tcpteardown/teardown/capture"
)

// ErrTruncated is wrapped by ReadFile when the file ends inside a packet
// (tcpdump killed mid-write, a copy cut short): what came before is good.
var ErrTruncated = errors.New("file ends inside a packet")

// FileStats counts what ReadFile saw.
type FileStats struct {
	Packets   int // records in the file
	TCP       int // of them, TCP segments handed to the callback
	Undecoded int // not IPv4/IPv6 TCP, UDP or ICMP, or malformed
	Format    string
}

// ReadFile reads a pcap or pcapng stream (told apart by its first bytes,
// capture.FileReader) and calls fn for each segment, in file order. The
// segment and its byte slices are only valid during the call. A file that
// ends inside a packet returns the stats so far and an error wrapping
// ErrTruncated.
func ReadFile(r io.Reader, fn func(*capture.Segment)) (FileStats, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(4)
	switch {
	case len(magic) == 0 && errors.Is(err, io.EOF):
		return FileStats{}, errors.New("record: the file is empty: not a pcap or pcapng file")
	case err != nil:
		return FileStats{}, fmt.Errorf("record: read header: %w: not a pcap or pcapng file", eofAsTruncated(err))
	}
	var st FileStats
	fr, err := capture.NewFileReader(br)
	if binary.BigEndian.Uint32(magic) == pcapngMagic {
		st.Format = "pcapng"
		if err != nil {
			return st, fmt.Errorf("record: read pcapng header: %w", eofAsTruncated(err))
		}
	} else {
		st.Format = "pcap"
		if err != nil {
			return st, fmt.Errorf("record: %w: not a pcap or pcapng file (tcpdump -w and Wireshark write both)", eofAsTruncated(err))
		}
	}
	return st, readAll(fr, fn, &st)
}

const pcapngMagic = 0x0a0d0d0a // the section header block's type

func readAll(fr *capture.FileReader, fn func(*capture.Segment), st *FileStats) error {
	for {
		p, err := fr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("record: after %d packets: %w", st.Packets, ErrTruncated)
		case err != nil:
			return fmt.Errorf("record: after %d packets: %w", st.Packets, err)
		}
		st.Packets++
		s, err := decode(p.LinkType, p.Data)
		if err != nil {
			st.Undecoded++
			continue
		}
		if s.Proto == capture.TCP {
			st.TCP++
			s.Time, s.WireLen = p.Time, p.WireLen
			fn(&s)
		}
	}
}

func eofAsTruncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}

// decode strips the link layer the file declares (LINKTYPE_ values,
// draft-ietf-opsawg-pcaplinktype).
func decode(lt int, b []byte) (capture.Segment, error) {
	switch lt {
	case capture.LinkEthernet:
		return capture.Decode(b)
	case capture.LinkRaw, capture.LinkIPv4, capture.LinkIPv6, capture.LinkRawOld:
		return capture.DecodeIP(b)
	case capture.LinkLinuxSLL: // 16-byte "cooked" header (tcpdump -i any, older libpcap)
		if len(b) >= 4 && loopbackCopy(be16(b[2:]), be16(b[0:])) {
			return capture.Segment{}, errLoopbackCopy
		}
		return skip(b, 16)
	case capture.LinkSLL2: // 20-byte header (libpcap ≥ 1.10)
		if len(b) >= 11 && loopbackCopy(be16(b[8:]), uint16(b[10])) {
			return capture.Segment{}, errLoopbackCopy
		}
		return skip(b, 20)
	case capture.LinkNull, capture.LinkLoop: // BSD loopback: 4-byte family
		return skip(b, 4)
	}
	return capture.Segment{}, fmt.Errorf("record: link type %d not supported", lt)
}

// On lo every packet passes AF_PACKET twice, once outgoing and once
// incoming; a capture on "any" that kept both would show each segment as
// its own retransmission. libpcap 1.10 here already drops the outgoing
// copy (tcpdump -i any showed each packet once, "In"); other writers may
// not. The SLL headers carry the device type (ARPHRD_LOOPBACK = 772) and
// the packet type (PACKET_OUTGOING = 4, linux/if_packet.h).
func loopbackCopy(arphrd, pkttype uint16) bool { return arphrd == 772 && pkttype == 4 }

var errLoopbackCopy = errors.New("record: outgoing copy of a loopback packet")

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

func skip(b []byte, n int) (capture.Segment, error) {
	if len(b) < n {
		return capture.Segment{}, fmt.Errorf("record: link header: %w", ErrTruncated)
	}
	return capture.DecodeIP(b[n:])
}
