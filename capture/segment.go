package capture

import (
	"net/netip"
	"strings"
	"time"
)

// Proto is the transport protocol of a captured packet.
type Proto uint8

const (
	ProtoInvalid Proto = iota
	TCP
	UDP
	ICMP // an ICMP/ICMPv6 error about one of the captured ports
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMP:
		return "icmp"
	}
	return "invalid"
}

// Flags are the TCP header flags.
type Flags uint8

const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// String prints the flags as tcpdump does inside "Flags [...]": in header
// bit order F, S, R, P, "." for ACK, U, E, W, e.g. "S.", "F.", "P.", "R.",
// "FP.", "P.U" (urgent data), "S.E" (an ECN-setup SYN-ACK). No flag at all
// prints "none", as tcpdump does.
func (f Flags) String() string {
	var b strings.Builder
	for _, x := range []struct {
		f Flags
		c byte
	}{{FIN, 'F'}, {SYN, 'S'}, {RST, 'R'}, {PSH, 'P'}, {ACK, '.'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// Has reports whether all of x are set.
func (f Flags) Has(x Flags) bool { return f&x == x }

// Segment is one captured packet, decoded. For TCP every field is set; for
// UDP Flags, Seq, Ack and Win are zero; for ICMP, Src and Dst are the
// addresses of the ICMP packet itself and Quoted holds the ports of the
// datagram the error is about.
type Segment struct {
	Time     time.Time // kernel receive stamp, CLOCK_REALTIME
	Proto    Proto
	Src, Dst netip.AddrPort
	Flags    Flags
	Seq, Ack uint32 // absolute; formatting makes them relative like tcpdump
	Win      uint16 // raw window field, unscaled, as tcpdump prints it
	Len      int    // payload bytes
	Options  string // TCP options as tcpdump prints them: "mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7"
	Payload  []byte // the first bytes of payload (at most 64), for display
	// ICMP errors (port unreachable): type/code and the quoted datagram.
	ICMPType, ICMPCode uint8
	Quoted             struct{ Src, Dst netip.AddrPort }

	// Fields added with the decoder (capture/decode.go).

	Urg         uint16 // urgent pointer, printed only when URG is set
	OptionBytes []byte // raw TCP options: the Formatter re-prints SACK blocks relative to the ISNs
	QuotedProto Proto  // TCP or UDP: the protocol of the datagram an ICMP error quotes
	ICMPLen     int    // bytes of the ICMP message (header + quote), as tcpdump's "length"
	ICMPRest    uint32 // ICMP header bytes 4–7: the MTU, pointer or gateway of some errors

	// FirstFragment: an IPv4 first fragment (more fragments follow); a UDP
	// header in it announces the whole datagram.
	FirstFragment bool
	Raw           []byte // the whole link-layer frame as captured (at most SnapLen bytes)
	WireLen       int    // the frame's length on the wire (Raw may be shorter)
}

// IPv6 reports whether the segment travelled over IPv6 ("IP6" in tcpdump).
func (s *Segment) IPv6() bool { return s.Src.Addr().Is6() }
