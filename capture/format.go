package capture

import (
	"fmt"
	"net/netip"
	"strings"
)

// Formatter prints segments as `tcpdump -nn` (4.99) does, one line each.
// It remembers the initial sequence numbers of each connection so that,
// like tcpdump, it prints seq and ack relative to them once a segment with
// ACK has been seen (the SYN and the SYN-ACK keep absolute numbers). Set
// Absolute for tcpdump -S. The zero value is ready; a Formatter is not safe
// for concurrent use.
type Formatter struct {
	Absolute bool // -S: print absolute sequence numbers

	flows map[flowKey]isns
}

// flowKey names a connection in one canonical direction (the end with the
// lower port first, as tcpdump orders it), so both directions share a key.
type flowKey struct {
	src, dst netip.Addr
	ports    uint32
}

// isns are the numbers tcpdump subtracts: seq for the canonical source's
// stream, ack for the other's.
type isns struct{ seq, ack uint32 }

// timeLayout is tcpdump's default stamp, in local time, microseconds
// truncated.
const timeLayout = "15:04:05.000000"

// Format returns the tcpdump line for s, without a newline.
func (f *Formatter) Format(s Segment) string {
	var b strings.Builder
	b.WriteString(s.Time.Local().Format(timeLayout))
	if s.IPv6() {
		b.WriteString(" IP6 ")
	} else {
		b.WriteString(" IP ")
	}
	switch s.Proto {
	case TCP:
		f.tcp(&b, &s)
	case UDP:
		fmt.Fprintf(&b, "%s > %s: UDP, length %d", hostPort(s.Src), hostPort(s.Dst), s.Len)
	case ICMP:
		icmpLine(&b, &s)
	default:
		fmt.Fprintf(&b, "%s > %s: %s", s.Src.Addr(), s.Dst.Addr(), s.Proto)
	}
	return b.String()
}

// hostPort prints "addr.port" as tcpdump does (a dot, no brackets, also
// for IPv6).
func hostPort(ap netip.AddrPort) string {
	return fmt.Sprintf("%s.%d", ap.Addr(), ap.Port())
}

func (f *Formatter) tcp(b *strings.Builder, s *Segment) {
	fmt.Fprintf(b, "%s > %s: Flags [%s]", hostPort(s.Src), hostPort(s.Dst), s.Flags)
	seq, ack, sackBase := s.Seq, s.Ack, uint32(0)
	// tcpdump makes numbers relative only for segments carrying ACK.
	if !f.Absolute && s.Flags&ACK != 0 {
		seq, ack, sackBase = f.relative(s)
	}
	// A pure ACK has no sequence space of its own: tcpdump omits its seq.
	if s.Len > 0 || s.Flags&(SYN|FIN|RST) != 0 {
		fmt.Fprintf(b, ", seq %d", seq)
		if s.Len > 0 {
			fmt.Fprintf(b, ":%d", seq+uint32(s.Len))
		}
	}
	if s.Flags&ACK != 0 {
		fmt.Fprintf(b, ", ack %d", ack)
	}
	fmt.Fprintf(b, ", win %d", s.Win)
	if s.Flags&URG != 0 {
		fmt.Fprintf(b, ", urg %d", s.Urg)
	}
	writeOptions(b, s, sackBase)
	fmt.Fprintf(b, ", length %d", s.Len)
}

func writeOptions(b *strings.Builder, s *Segment, sackBase uint32) {
	opts := s.Options
	if s.OptionBytes != nil {
		opts = formatOptions(s.OptionBytes, sackBase)
	}
	if opts == "" {
		return
	}
	b.WriteString(", options [" + opts)
	if opts != badOpt { // tcpdump leaves the bracket open when the first option is bad
		b.WriteByte(']')
	}
}

// relative follows tcpdump: the first ACK-bearing segment of a connection
// (normally the SYN-ACK), or any SYN, records the numbers and is printed
// absolute; later segments print seq and ack minus them. It returns the
// base for the SACK edges too (they number the peer's stream).
func (f *Formatter) relative(s *Segment) (seq, ack, sackBase uint32) {
	key, rev := canonical(s)
	if f.flows == nil {
		f.flows = map[flowKey]isns{}
	}
	th, seen := f.flows[key]
	if !seen || s.Flags&SYN != 0 {
		if rev {
			th = isns{seq: s.Ack - 1, ack: s.Seq}
		} else {
			th = isns{seq: s.Seq, ack: s.Ack - 1}
		}
		f.flows[key] = th
		seq, ack = s.Seq, s.Ack
	} else if rev {
		seq, ack = s.Seq-th.ack, s.Ack-th.seq
	} else {
		seq, ack = s.Seq-th.seq, s.Ack-th.ack
	}
	if rev {
		return seq, ack, th.seq
	}
	return seq, ack, th.ack
}

// canonical orders a connection's ends: reversed when the source port is
// higher (or, with equal ports, the source address is).
func canonical(s *Segment) (flowKey, bool) {
	sp, dp := uint32(s.Src.Port()), uint32(s.Dst.Port())
	src, dst := s.Src.Addr(), s.Dst.Addr()
	rev := sp > dp || (sp == dp && src.Compare(dst) > 0)
	if rev {
		return flowKey{src: dst, dst: src, ports: dp<<16 | sp}, true
	}
	return flowKey{src: src, dst: dst, ports: sp<<16 | dp}, false
}
