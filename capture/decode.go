package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Frame layout constants. On Linux, lo hands AF_PACKET an Ethernet header
// with both MACs zero and the real EtherType, so one decoder serves lo,
// veth and physical Ethernet alike.
const (
	ethHeaderLen = 14
	etherTypeIP4 = 0x0800
	etherTypeIP6 = 0x86dd
	ip6HeaderLen = 40
	tcpMinHeader = 20
	udpHeaderLen = 8
	icmpHdrLen   = 8
	maxPayload   = 64 // bytes of payload kept in Segment.Payload for display

	protoICMP4 = 1
	protoTCP   = 6
	protoUDP   = 17
	protoICMP6 = 58
)

var (
	errTruncated = errors.New("truncated")
	errNotIP     = errors.New("not IPv4 or IPv6")
	errProto     = errors.New("not TCP, UDP or ICMP")
	errFragment  = errors.New("IPv4 fragment without transport header")
	errHeader    = errors.New("bad header length")
)

var be = binary.BigEndian

// Decode decodes one Ethernet frame carrying IPv4 or IPv6 and TCP, UDP or an
// ICMP/ICMPv6 message. It never panics on malformed input (FuzzDecode). The
// returned Segment's Raw, Payload and OptionBytes alias frame; Time is left
// for the caller, who knows when the kernel stamped the frame.
func Decode(frame []byte) (Segment, error) {
	s := Segment{Raw: frame, WireLen: len(frame)}
	if len(frame) < ethHeaderLen {
		return s, fmt.Errorf("capture: decode ethernet: %w", errTruncated)
	}
	var err error
	switch be.Uint16(frame[12:14]) {
	case etherTypeIP4:
		err = s.decodeIPv4(frame[ethHeaderLen:])
	case etherTypeIP6:
		err = s.decodeIPv6(frame[ethHeaderLen:])
	default:
		err = errNotIP
	}
	if err != nil {
		return s, fmt.Errorf("capture: decode: %w", err)
	}
	return s, nil
}

func (s *Segment) decodeIPv4(b []byte) error {
	if len(b) < 20 || b[0]>>4 != 4 {
		return fmt.Errorf("ipv4: %w", errTruncated)
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || ihl > len(b) {
		return fmt.Errorf("ipv4: %w", errHeader)
	}
	// Later fragments carry no ports; tcpdump's "tcp port P" skips them too.
	if be.Uint16(b[6:8])&0x1fff != 0 {
		return errFragment
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	wire := ipPayloadLen(int(be.Uint16(b[2:4])), ihl, len(b))
	// A first fragment (more-fragments bit) holds only part of the
	// datagram its UDP header describes.
	s.FirstFragment = be.Uint16(b[6:8])&0x2000 != 0
	return s.decodeTransport(b[9], src, dst, clip(b[ihl:], wire), wire)
}

func (s *Segment) decodeIPv6(b []byte) error {
	if len(b) < ip6HeaderLen || b[0]>>4 != 6 {
		return fmt.Errorf("ipv6: %w", errTruncated)
	}
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	total := 0 // a zero payload length means a jumbogram (BIG TCP): use what was captured
	if plen := int(be.Uint16(b[4:6])); plen != 0 {
		total = plen + ip6HeaderLen
	}
	wire := ipPayloadLen(total, ip6HeaderLen, len(b))
	// Extension headers are not walked: like tcpdump's "tcp port P", the
	// filter only matches TCP/UDP/ICMPv6 directly after the fixed header.
	return s.decodeTransport(b[6], src, dst, clip(b[ip6HeaderLen:], wire), wire)
}

// ipPayloadLen is the transport length the IP header announces. A zero
// total length (TSO/BIG TCP super-packets) falls back to what was captured.
func ipPayloadLen(total, hdr, captured int) int {
	if total == 0 {
		return captured - hdr
	}
	return max(total-hdr, 0)
}

// clip drops Ethernet padding after the IP datagram (a 54-byte ACK is padded
// to 60 bytes on real Ethernet; never on lo).
func clip(b []byte, n int) []byte {
	if n < len(b) {
		return b[:n]
	}
	return b
}

func (s *Segment) decodeTransport(proto byte, src, dst netip.Addr, b []byte, wire int) error {
	switch {
	case proto == protoTCP:
		return s.decodeTCP(src, dst, b, wire)
	case proto == protoUDP:
		return s.decodeUDP(src, dst, b, wire)
	case proto == protoICMP4 && src.Is4():
		return s.decodeICMP4(src, dst, b, wire)
	case proto == protoICMP6 && !src.Is4():
		return s.decodeICMP6(src, dst, b, wire)
	}
	return errProto
}

func (s *Segment) decodeTCP(src, dst netip.Addr, b []byte, wire int) error {
	if len(b) < tcpMinHeader {
		return fmt.Errorf("tcp: %w", errTruncated)
	}
	off := int(b[12]>>4) * 4
	if off < tcpMinHeader || off > len(b) || off > wire {
		return fmt.Errorf("tcp: %w", errHeader)
	}
	s.Proto = TCP
	s.Src = netip.AddrPortFrom(src, be.Uint16(b[0:2]))
	s.Dst = netip.AddrPortFrom(dst, be.Uint16(b[2:4]))
	s.Seq, s.Ack = be.Uint32(b[4:8]), be.Uint32(b[8:12])
	s.Flags = Flags(b[13]) // the header's flag byte has our bit order (FIN = 0x01 … CWR = 0x80)
	s.Win, s.Urg = be.Uint16(b[14:16]), be.Uint16(b[18:20])
	s.Len = wire - off
	s.Payload = head(b[off:], maxPayload)
	s.OptionBytes = b[tcpMinHeader:off]
	s.Options = formatOptions(s.OptionBytes, 0)
	return nil
}

func (s *Segment) decodeUDP(src, dst netip.Addr, b []byte, wire int) error {
	if len(b) < udpHeaderLen {
		return fmt.Errorf("udp: %w", errTruncated)
	}
	s.Proto = UDP
	s.Src = netip.AddrPortFrom(src, be.Uint16(b[0:2]))
	s.Dst = netip.AddrPortFrom(dst, be.Uint16(b[2:4]))
	// The UDP length field is what tcpdump prints, also for a first
	// fragment, where it is longer than the fragment (tcpdump prints the
	// whole datagram's length); fall back to the IP length when the field
	// is nonsense.
	ulen := int(be.Uint16(b[4:6]))
	if ulen < udpHeaderLen || ulen > wire && !s.FirstFragment {
		ulen = wire
	}
	s.Len = ulen - udpHeaderLen
	s.Payload = head(b[udpHeaderLen:], maxPayload)
	return nil
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
