package capture

import (
	"errors"
	"fmt"
	"slices"

	"golang.org/x/net/bpf"
)

// DefaultSnapLen is how many bytes of each frame are kept, as tcpdump's
// default (262144): enough for a whole 64 KiB lo segment.
const DefaultSnapLen = 262144

// packetOutgoing is PACKET_OUTGOING, the skb packet type of a frame the host
// sends. On lo each segment passes AF_PACKET twice, once leaving
// (PACKET_OUTGOING) and once arriving (PACKET_HOST); keeping only the
// arriving copy shows each segment once, like tcpdump's "not outbound".
const packetOutgoing = 4

// Frame offsets used by the filter (Ethernet header included).
const (
	offEtherType = 12
	offIP4Frag   = ethHeaderLen + 6
	offIP4Proto  = ethHeaderLen + 9
	offIP6Next   = ethHeaderLen + 6
	offIP6Body   = ethHeaderLen + ip6HeaderLen
)

// Filter returns the classic BPF program the capture socket runs in the
// kernel: Ethernet frames with IPv4 or IPv6 carrying TCP or UDP with one of
// ports at either end, or an ICMP/ICMPv6 error quoting such a datagram.
// Empty ports accept all TCP, UDP and such ICMP errors. dropOutgoing drops
// frames the host sends (needed on lo, where each one is seen twice; wrong
// on veth or Ethernet, where outgoing frames are seen only once).
//
// Like tcpdump's "tcp port P", IPv6 extension headers and IPv4 fragments
// after the first are not matched.
func Filter(ports []uint16, dropOutgoing bool) ([]bpf.RawInstruction, error) {
	return filter(ports, dropOutgoing, DefaultSnapLen)
}

func filter(ports []uint16, dropOutgoing bool, snaplen int) ([]bpf.RawInstruction, error) {
	if snaplen <= 0 {
		return nil, fmt.Errorf("capture: filter: snap length %d must be positive", snaplen)
	}
	ports = slices.Compact(slices.Sorted(slices.Values(ports)))
	if slices.Contains(ports, 0) {
		return nil, errors.New("capture: filter: port 0 cannot be captured: give the port the socket is bound to")
	}
	b := &fb{ports: ports, snap: uint32(snaplen)}
	b.program(dropOutgoing)
	ins, err := b.a.assemble()
	if err != nil {
		return nil, fmt.Errorf("capture: filter for %d ports: %w", len(ports), err)
	}
	return bpf.Assemble(ins)
}

// fb builds the filter program with symbolic jumps.
type fb struct {
	a     asm
	ports []uint16
	snap  uint32
	n     int // counter for local labels
}

func (b *fb) program(dropOutgoing bool) {
	if dropOutgoing {
		b.a.op(bpf.LoadExtension{Num: bpf.ExtType})
		b.a.jeq(packetOutgoing, "drop", "")
	}
	b.a.op(bpf.LoadAbsolute{Off: offEtherType, Size: 2})
	b.a.jeq(etherTypeIP4, "ip4", "")
	b.a.jeq(etherTypeIP6, "ip6", "drop")
	b.ipv4()
	b.ipv6()
	b.a.label("drop")
	b.a.op(bpf.RetConstant{Val: 0})
}

// ipv4 matches ports at X+14/X+16, where X is the IPv4 header length.
func (b *fb) ipv4() {
	b.a.label("ip4")
	b.a.op(bpf.LoadAbsolute{Off: offIP4Frag, Size: 2})
	b.a.jset(0x1fff, "drop", "") // a later fragment has no ports
	b.a.op(bpf.LoadMemShift{Off: ethHeaderLen})
	b.a.op(bpf.LoadAbsolute{Off: offIP4Proto, Size: 1})
	b.a.jeq(protoTCP, "ip4ports", "")
	b.a.jeq(protoUDP, "ip4ports", "")
	b.a.jeq(protoICMP4, "icmp4", "drop")
	b.a.label("ip4ports")
	b.ports2(func(off uint32) bpf.Instruction { return bpf.LoadIndirect{Off: ethHeaderLen + off, Size: 2} })
	b.icmp4()
}

// icmp4 follows an ICMP error to the datagram it quotes: 8 bytes of ICMP
// header, then the quoted IPv4 header (length in its own IHL), then ports.
func (b *fb) icmp4() {
	const quote = ethHeaderLen + icmpHdrLen // offset of the quote from X
	b.a.label("icmp4")
	b.a.op(bpf.LoadIndirect{Off: ethHeaderLen, Size: 1})
	for _, t := range []uint32{icmp4Unreach, icmp4Quench, icmp4Redirect, icmp4TimeExceed} {
		b.a.jeq(t, "icmp4quote", "")
	}
	b.a.jeq(icmp4ParamProb, "icmp4quote", "drop")
	b.a.label("icmp4quote")
	b.a.op(bpf.LoadIndirect{Off: quote + 9, Size: 1})
	b.a.jeq(protoTCP, "icmp4ports", "")
	b.a.jeq(protoUDP, "icmp4ports", "drop")
	b.a.label("icmp4ports")
	// X += 4 * (quoted IHL): X then points at the quoted transport header
	// minus the quote offset.
	b.a.op(bpf.LoadIndirect{Off: quote, Size: 1})
	b.a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	b.a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	b.a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	b.a.op(bpf.TAX{})
	b.ports2(func(off uint32) bpf.Instruction { return bpf.LoadIndirect{Off: quote + off, Size: 2} })
}

// ipv6 matches the fixed 40-byte header followed directly by TCP, UDP or an
// ICMPv6 error quoting one.
func (b *fb) ipv6() {
	const quote = offIP6Body + icmpHdrLen
	b.a.label("ip6")
	b.a.op(bpf.LoadAbsolute{Off: offIP6Next, Size: 1})
	b.a.jeq(protoTCP, "ip6ports", "")
	b.a.jeq(protoUDP, "ip6ports", "")
	b.a.jeq(protoICMP6, "icmp6", "drop")
	b.a.label("ip6ports")
	b.ports2(func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: offIP6Body + off, Size: 2} })
	b.a.label("icmp6")
	b.a.op(bpf.LoadAbsolute{Off: offIP6Body, Size: 1})
	b.a.jump(bpf.JumpLessThan, icmp6Unreach, "drop", "")
	b.a.jump(bpf.JumpGreaterThan, icmp6ParamProb, "drop", "")
	b.a.op(bpf.LoadAbsolute{Off: quote + 6, Size: 1})
	b.a.jeq(protoTCP, "icmp6ports", "")
	b.a.jeq(protoUDP, "icmp6ports", "drop")
	b.a.label("icmp6ports")
	b.ports2(func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: quote + ip6HeaderLen + off, Size: 2} })
}

// ports2 emits: accept if the source port (load(0)) or the destination port
// (load(2)) is one of b.ports, else drop. Each check accepts through its own
// nearby return so that conditional jumps (at most 255 instructions) stay
// short however many ports there are.
func (b *fb) ports2(load func(off uint32) bpf.Instruction) {
	if len(b.ports) == 0 {
		b.a.op(bpf.RetConstant{Val: b.snap})
		return
	}
	b.n++
	yes, dport := fmt.Sprintf("yes%d", b.n), fmt.Sprintf("dport%d", b.n)
	b.a.op(load(0))
	b.oneOf(yes, dport)
	b.a.label(dport)
	b.a.op(load(2))
	b.oneOf(yes, "drop")
	b.a.label(yes)
	b.a.op(bpf.RetConstant{Val: b.snap})
}

// oneOf jumps to yes if A is one of the ports, else to no.
func (b *fb) oneOf(yes, no string) {
	last := len(b.ports) - 1
	for _, p := range b.ports[:last] {
		b.a.jeq(uint32(p), yes, "")
	}
	b.a.jeq(uint32(b.ports[last]), yes, no)
}
