package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/tcpteardown/teardown/capture"
)

// segment is what inject crafts: one TCP segment with no history of its
// own. Its fields come from the wire's view of the connection.
type segment struct {
	src, dst     netip.AddrPort
	flags        capture.Flags
	seq, ack     uint32
	win          uint16
	hasTS        bool
	tsVal, tsEcr uint32
	payload      int
}

var flagChars = map[byte]capture.Flags{
	'F': capture.FIN, 'S': capture.SYN, 'R': capture.RST, 'P': capture.PSH,
	'.': capture.ACK, 'U': capture.URG, 'E': capture.ECE, 'W': capture.CWR,
}

// parseFlags turns tcpdump notation ("R.", "FP.") into header bits.
func parseFlags(s string) (capture.Flags, error) {
	var f capture.Flags
	for i := 0; i < len(s); i++ {
		b, ok := flagChars[s[i]]
		if !ok {
			return 0, fmt.Errorf("wire: unknown flag %q in %q", s[i], s)
		}
		f |= b
	}
	return f, nil
}

// packet builds the IPv4 or IPv6 packet with correct checksums. The
// payload is 'x' bytes: inject tests what the receiver does with sequence
// numbers, not with content.
func (sg *segment) packet() []byte {
	optLen := 0
	if sg.hasTS {
		optLen = 12 // NOP, NOP, TS(10): the layout Linux itself sends
	}
	tcpLen := 20 + optLen + sg.payload
	tcp := make([]byte, tcpLen)
	be := binary.BigEndian
	be.PutUint16(tcp[0:], sg.src.Port())
	be.PutUint16(tcp[2:], sg.dst.Port())
	be.PutUint32(tcp[4:], sg.seq)
	be.PutUint32(tcp[8:], sg.ack)
	tcp[12] = byte((20+optLen)/4) << 4
	tcp[13] = byte(sg.flags)
	be.PutUint16(tcp[14:], sg.win)
	if sg.hasTS {
		copy(tcp[20:], []byte{1, 1, 8, 10})
		be.PutUint32(tcp[24:], sg.tsVal)
		be.PutUint32(tcp[28:], sg.tsEcr)
	}
	for i := 20 + optLen; i < tcpLen; i++ {
		tcp[i] = 'x'
	}
	be.PutUint16(tcp[16:], checksum(pseudoHeader(sg.src.Addr(), sg.dst.Addr(), tcpLen), tcp))
	if sg.src.Addr().Is4() {
		return append(ipv4Header(sg.src.Addr(), sg.dst.Addr(), tcpLen), tcp...)
	}
	return append(ipv6Header(sg.src.Addr(), sg.dst.Addr(), tcpLen), tcp...)
}

func ipv4Header(src, dst netip.Addr, payload int) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+payload))
	h[6] = 0x40 // DF, as Linux sets on TCP
	h[8] = 64   // TTL
	h[9] = 6    // TCP
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	binary.BigEndian.PutUint16(h[10:], checksum(nil, h))
	return h
}

func ipv6Header(src, dst netip.Addr, payload int) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(payload))
	h[6] = 6  // next header: TCP
	h[7] = 64 // hop limit
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return h
}

// pseudoHeader is what the TCP checksum covers besides the segment
// (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6).
func pseudoHeader(src, dst netip.Addr, tcpLen int) []byte {
	var p []byte
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		p = append(append(p, s[:]...), d[:]...)
		return append(p, 0, 6, byte(tcpLen>>8), byte(tcpLen))
	}
	s, d := src.As16(), dst.As16()
	p = append(append(p, s[:]...), d[:]...)
	return append(p, byte(tcpLen>>24), byte(tcpLen>>16), byte(tcpLen>>8), byte(tcpLen), 0, 0, 0, 6)
}

// checksum is the Internet checksum (RFC 1071) over a then b; a must have
// even length.
func checksum(a, b []byte) uint16 {
	var sum uint32
	for _, p := range [][]byte{a, b} {
		for len(p) >= 2 {
			sum += uint32(p[0])<<8 | uint32(p[1])
			p = p[2:]
		}
		if len(p) == 1 {
			sum += uint32(p[0]) << 8
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// apply adds a step's seq=/ack= to what the wire saw.
func (o Offset) apply(base uint32) uint32 {
	switch {
	case !o.Set:
		return base
	case o.Rel:
		return base + uint32(o.N)
	}
	return uint32(o.N)
}

// craftFrom fills a segment from src to dst with the sequence state the
// wire saw: snd is what src sent, rcv what dst sent. When src has sent
// nothing yet, dst's acknowledgment and timestamps stand in for it.
func craftFrom(src, dst netip.AddrPort, snd, rcv half) segment {
	sg := segment{src: src, dst: dst, win: snd.win}
	sg.seq, sg.ack = snd.nxt, rcv.nxt
	if !snd.seen {
		sg.seq, sg.win = rcv.ack, rcv.win
	}
	if !rcv.seen {
		sg.ack = snd.ack
	}
	sg.hasTS, sg.tsVal, sg.tsEcr = snd.hasTS, snd.tsVal, snd.tsEcr
	if !snd.seen {
		sg.hasTS, sg.tsVal, sg.tsEcr = rcv.hasTS, rcv.tsEcr, rcv.tsVal
	}
	return sg
}
