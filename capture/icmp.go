package capture

import (
	"fmt"
	"net/netip"
)

// ICMP error types that quote the datagram they are about (RFC 792, RFC
// 4443). A TCP or UDP sender learns of a closed UDP port, an unreachable
// host or a too-small MTU only through these.
const (
	icmp4Unreach     = 3
	icmp4Quench      = 4
	icmp4Redirect    = 5
	icmp4TimeExceed  = 11
	icmp4ParamProb   = 12
	icmp4CodePort    = 3
	icmp4CodeNeedFrg = 4

	icmp6Unreach    = 1
	icmp6TooBig     = 2
	icmp6TimeExceed = 3
	icmp6ParamProb  = 4
	icmp6CodePort   = 4
)

// isICMP4Error reports whether an ICMPv4 type quotes a datagram.
func isICMP4Error(t uint8) bool {
	switch t {
	case icmp4Unreach, icmp4Quench, icmp4Redirect, icmp4TimeExceed, icmp4ParamProb:
		return true
	}
	return false
}

// isICMP6Error reports whether an ICMPv6 type is an error (types below 128
// are errors by RFC 4443 §2.1; 1–4 are the defined ones).
func isICMP6Error(t uint8) bool { return t >= icmp6Unreach && t <= icmp6ParamProb }

func (s *Segment) decodeICMP4(src, dst netip.Addr, b []byte, wire int) error {
	if err := s.icmpHeader(src, dst, b, wire); err != nil {
		return err
	}
	if isICMP4Error(s.ICMPType) {
		s.quoteIPv4(b[icmpHdrLen:])
	}
	return nil
}

func (s *Segment) decodeICMP6(src, dst netip.Addr, b []byte, wire int) error {
	if err := s.icmpHeader(src, dst, b, wire); err != nil {
		return err
	}
	if isICMP6Error(s.ICMPType) {
		s.quoteIPv6(b[icmpHdrLen:])
	}
	return nil
}

func (s *Segment) icmpHeader(src, dst netip.Addr, b []byte, wire int) error {
	if len(b) < icmpHdrLen {
		return fmt.Errorf("icmp: %w", errTruncated)
	}
	s.Proto = ICMP
	s.Src, s.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	s.ICMPType, s.ICMPCode = b[0], b[1]
	s.ICMPRest = be.Uint32(b[4:8])
	s.ICMPLen = wire
	return nil
}

// quoteIPv4 reads the IPv4 header and first 8 transport bytes an ICMP
// error carries. A quote too short to hold ports leaves Quoted zero.
func (s *Segment) quoteIPv4(q []byte) {
	if len(q) < 20 || q[0]>>4 != 4 {
		return
	}
	ihl := int(q[0]&0x0f) * 4
	if ihl < 20 || len(q) < ihl+4 {
		return
	}
	src := netip.AddrFrom4([4]byte(q[12:16]))
	dst := netip.AddrFrom4([4]byte(q[16:20]))
	s.quotePorts(q[9], src, dst, q[ihl:])
}

func (s *Segment) quoteIPv6(q []byte) {
	if len(q) < ip6HeaderLen+4 || q[0]>>4 != 6 {
		return
	}
	src := netip.AddrFrom16([16]byte(q[8:24]))
	dst := netip.AddrFrom16([16]byte(q[24:40]))
	s.quotePorts(q[6], src, dst, q[ip6HeaderLen:])
}

func (s *Segment) quotePorts(proto byte, src, dst netip.Addr, t []byte) {
	switch proto {
	case protoTCP:
		s.QuotedProto = TCP
	case protoUDP:
		s.QuotedProto = UDP
	default:
		return
	}
	s.Quoted.Src = netip.AddrPortFrom(src, be.Uint16(t[0:2]))
	s.Quoted.Dst = netip.AddrPortFrom(dst, be.Uint16(t[2:4]))
}
