package capture_test

import (
	"encoding/binary"
	"net/netip"

	"github.com/tcpteardown/teardown/capture"
)

// Synthetic frames for the filter and decoder tests: Ethernet with zero
// MACs (as lo delivers them), no checksums (neither the filter nor the
// decoder reads them).

var (
	src4 = netip.MustParseAddr("127.0.0.1")
	dst4 = netip.MustParseAddr("127.0.0.2")
	src6 = netip.MustParseAddr("::1")
	dst6 = netip.MustParseAddr("fd00::2")
)

func ether(etherType uint16, body []byte) []byte {
	f := make([]byte, 14, 14+len(body))
	binary.BigEndian.PutUint16(f[12:], etherType)
	return append(f, body...)
}

// ip4 builds an IPv4 datagram (no options unless ihlWords > 5).
func ip4(proto byte, src, dst netip.Addr, ihlWords int, frag uint16, payload []byte) []byte {
	h := make([]byte, ihlWords*4)
	h[0] = 0x40 | byte(ihlWords)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8], h[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return append(h, payload...)
}

func ip6(next byte, src, dst netip.Addr, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = next, 64
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

type tcpSpec struct {
	sport, dport uint16
	seq, ack     uint32
	flags        capture.Flags
	win, urg     uint16
	opts         []byte // padded to 4 bytes by the caller
	payload      []byte
}

func tcpHdr(t tcpSpec) []byte {
	h := make([]byte, 20, 20+len(t.opts)+len(t.payload))
	binary.BigEndian.PutUint16(h[0:], t.sport)
	binary.BigEndian.PutUint16(h[2:], t.dport)
	binary.BigEndian.PutUint32(h[4:], t.seq)
	binary.BigEndian.PutUint32(h[8:], t.ack)
	h[12] = byte((20+len(t.opts))/4) << 4
	h[13] = byte(t.flags)
	binary.BigEndian.PutUint16(h[14:], t.win)
	binary.BigEndian.PutUint16(h[18:], t.urg)
	h = append(h, t.opts...)
	return append(h, t.payload...)
}

func udpHdr(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

// icmpMsg builds an ICMP or ICMPv6 message quoting a datagram.
func icmpMsg(typ, code byte, rest uint32, quote []byte) []byte {
	h := make([]byte, 8, 8+len(quote))
	h[0], h[1] = typ, code
	binary.BigEndian.PutUint32(h[4:], rest)
	return append(h, quote...)
}

func tcp4Frame(sport, dport uint16) []byte {
	return ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{sport: sport, dport: dport, flags: capture.SYN})))
}

func tcp6Frame(sport, dport uint16) []byte {
	return ether(0x86dd, ip6(6, src6, dst6, tcpHdr(tcpSpec{sport: sport, dport: dport, flags: capture.SYN})))
}

func udp4Frame(sport, dport uint16) []byte {
	return ether(0x0800, ip4(17, src4, dst4, 5, 0, udpHdr(sport, dport, []byte("hello"))))
}

func udp6Frame(sport, dport uint16) []byte {
	return ether(0x86dd, ip6(17, src6, dst6, udpHdr(sport, dport, []byte("hello"))))
}

// portUnreach4 is the ICMP error a UDP datagram sport→dport earns.
func portUnreach4(sport, dport uint16) []byte {
	quote := ip4(17, src4, dst4, 5, 0, udpHdr(sport, dport, []byte("hello")))
	return ether(0x0800, ip4(1, dst4, src4, 5, 0, icmpMsg(3, 3, 0, quote)))
}

func portUnreach6(sport, dport uint16) []byte {
	quote := ip6(17, src6, dst6, udpHdr(sport, dport, []byte("hello")))
	return ether(0x86dd, ip6(58, dst6, src6, icmpMsg(1, 4, 0, quote)))
}
