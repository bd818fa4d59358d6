package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// icmp4Unreach names the codes of "destination unreachable" as tcpdump
// prints them; %s is the quoted destination.
var icmp4UnreachText = map[uint8]string{
	0: "net %s unreachable", 1: "host %s unreachable",
	5: "%s unreachable - source route failed", 6: "net %s unreachable - unknown",
	7: "host %s unreachable - unknown", 8: "%s unreachable - source host isolated",
	9: "net %s unreachable - admin prohibited", 10: "host %s unreachable - admin prohibited",
	11: "net %s unreachable - tos prohibited", 12: "host %s unreachable - tos prohibited",
}

var icmp6UnreachText = map[uint8]string{
	0: "unreachable route %s", 1: "unreachable prohibited %s",
	2: "beyond scope %s", 3: "unreachable address %s",
}

func icmpLine(b *strings.Builder, s *Segment) {
	if s.IPv6() {
		fmt.Fprintf(b, "%s > %s: ICMP6, %s, length %d", s.Src.Addr(), s.Dst.Addr(), icmp6Text(s), s.ICMPLen)
		return
	}
	fmt.Fprintf(b, "%s > %s: ICMP %s, length %d", s.Src.Addr(), s.Dst.Addr(), icmp4Text(s), s.ICMPLen)
}

func icmp4Text(s *Segment) string {
	dst := s.Quoted.Dst.Addr()
	switch s.ICMPType {
	case icmp4Unreach:
		return icmp4UnreachLine(s, dst)
	case icmp4Quench:
		return "source quench"
	case icmp4Redirect:
		return fmt.Sprintf("redirect %s to %s", dst, gateway(s.ICMPRest))
	case icmp4TimeExceed:
		if s.ICMPCode == 1 {
			return "ip reassembly time exceeded"
		}
		return "time exceeded in-transit"
	case icmp4ParamProb:
		return fmt.Sprintf("parameter problem - octet %d", s.ICMPRest>>24)
	}
	return fmt.Sprintf("type-#%d", s.ICMPType)
}

// icmp4UnreachLine prints type 3. Port unreachable is what a UDP datagram
// to a closed port earns (RFC 1122 §4.1.3.1); TCP answers a closed port
// with RST instead.
func icmp4UnreachLine(s *Segment, dst netip.Addr) string {
	switch s.ICMPCode {
	case icmp4CodePort:
		return fmt.Sprintf("%s %s port %d unreachable", dst, s.QuotedProto, s.Quoted.Dst.Port())
	case 2:
		return fmt.Sprintf("%s protocol %d unreachable", dst, quotedProtoNumber(s.QuotedProto))
	case icmp4CodeNeedFrg:
		if mtu := s.ICMPRest & 0xffff; mtu != 0 {
			return fmt.Sprintf("%s unreachable - need to frag (mtu %d)", dst, mtu)
		}
		return fmt.Sprintf("%s unreachable - need to frag", dst)
	}
	if f, ok := icmp4UnreachText[s.ICMPCode]; ok {
		return fmt.Sprintf(f, dst)
	}
	return fmt.Sprintf("#%d %s unreachable", s.ICMPCode, dst)
}

func quotedProtoNumber(p Proto) int {
	if p == UDP {
		return protoUDP
	}
	return protoTCP
}

func gateway(rest uint32) netip.Addr {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], rest)
	return netip.AddrFrom4(a)
}

func icmp6Text(s *Segment) string {
	dst := s.Quoted.Dst.Addr()
	switch s.ICMPType {
	case icmp6Unreach:
		if s.ICMPCode == icmp6CodePort {
			return fmt.Sprintf("destination unreachable, unreachable port, %s %s port %d", dst, s.QuotedProto, s.Quoted.Dst.Port())
		}
		if f, ok := icmp6UnreachText[s.ICMPCode]; ok {
			return "destination unreachable, " + fmt.Sprintf(f, dst)
		}
		return fmt.Sprintf("destination unreachable, unknown unreach code (%d)", s.ICMPCode)
	case icmp6TooBig:
		return fmt.Sprintf("packet too big, mtu %d", s.ICMPRest)
	case icmp6TimeExceed:
		return fmt.Sprintf("time exceeded in-transit for %s", dst)
	case icmp6ParamProb:
		return fmt.Sprintf("parameter problem, code %d, octet %d", s.ICMPCode, s.ICMPRest)
	}
	return fmt.Sprintf("type-#%d", s.ICMPType)
}
