package capture_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/capture"
	"golang.org/x/net/bpf"
)

// The kernel's packet types (linux/if_packet.h) a frame can have.
const (
	packetHost     = 0
	packetOutgoing = 4
)

// runFilter runs the program on frame in x/net/bpf's VM as the kernel would
// for a frame of the given packet type. The VM does not implement the
// "type" extension, so its load is replaced by a constant holding pkttype —
// exactly what the kernel's load yields.
func runFilter(t *testing.T, raw []bpf.RawInstruction, frame []byte, pkttype uint32) bool {
	t.Helper()
	prog, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("program does not disassemble: %v", prog)
	}
	for i, ins := range prog {
		if ext, isExt := ins.(bpf.LoadExtension); isExt && ext.Num == bpf.ExtType {
			prog[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: pkttype}
		}
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	n, err := vm.Run(frame)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return n > 0
}

func TestFilter(t *testing.T) {
	const p = 9527
	tests := []struct {
		name         string
		ports        []uint16
		dropOutgoing bool
		frame        []byte
		pkttype      uint32
		want         bool
	}{
		{"tcp4 dst port", []uint16{p}, true, tcp4Frame(40000, p), packetHost, true},
		{"tcp4 src port", []uint16{p}, true, tcp4Frame(p, 40000), packetHost, true},
		{"tcp4 other port", []uint16{p}, true, tcp4Frame(40000, 9528), packetHost, false},
		{"tcp4 outgoing on lo", []uint16{p}, true, tcp4Frame(40000, p), packetOutgoing, false},
		{"tcp4 outgoing on veth", []uint16{p}, false, tcp4Frame(40000, p), packetOutgoing, true},
		{"tcp6 dst port", []uint16{p}, true, tcp6Frame(40000, p), packetHost, true},
		{"tcp6 other port", []uint16{p}, true, tcp6Frame(40000, 80), packetHost, false},
		{"udp4 dst port", []uint16{p}, true, udp4Frame(40000, p), packetHost, true},
		{"udp6 src port", []uint16{p}, true, udp6Frame(p, 40000), packetHost, true},
		{"udp6 other port", []uint16{p}, true, udp6Frame(1, 2), packetHost, false},
		{"icmp4 quoting port", []uint16{p}, true, portUnreach4(40000, p), packetHost, true},
		{"icmp4 quoting other", []uint16{p}, true, portUnreach4(40000, 53), packetHost, false},
		{"icmp6 quoting port", []uint16{p}, true, portUnreach6(40000, p), packetHost, true},
		{"icmp6 quoting other", []uint16{p}, true, portUnreach6(40000, 53), packetHost, false},
		{"second of many ports", []uint16{80, p, 443}, true, tcp4Frame(40000, p), packetHost, true},
		{"no ports: any tcp", nil, true, tcp4Frame(1, 2), packetHost, true},
		{"no ports: any udp6", nil, true, udp6Frame(1, 2), packetHost, true},
		{"no ports: outgoing still dropped", nil, true, tcp4Frame(1, 2), packetOutgoing, false},
		{"ipv4 options shift ports", []uint16{p}, true,
			ether(0x0800, ip4(6, src4, dst4, 7, 0, tcpHdr(tcpSpec{sport: 1, dport: p}))), packetHost, true},
		{"ipv4 later fragment", []uint16{p}, true,
			ether(0x0800, ip4(6, src4, dst4, 5, 100, tcpHdr(tcpSpec{sport: 1, dport: p}))), packetHost, false},
		{"icmp4 echo is not an error", nil, true,
			ether(0x0800, ip4(1, src4, dst4, 5, 0, icmpMsg(8, 0, 0, make([]byte, 28)))), packetHost, false},
		{"sctp", nil, true, ether(0x0800, ip4(132, src4, dst4, 5, 0, make([]byte, 12))), packetHost, false},
		{"arp", nil, true, ether(0x0806, make([]byte, 28)), packetHost, false},
		{"truncated", []uint16{p}, true, tcp4Frame(40000, p)[:36], packetHost, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := capture.Filter(tt.ports, tt.dropOutgoing)
			if err != nil {
				t.Fatal(err)
			}
			if got := runFilter(t, raw, tt.frame, tt.pkttype); got != tt.want {
				t.Errorf("filter accepted = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFilterManyPorts checks that far jumps (beyond the 255 instructions a
// conditional jump reaches) still land: every one of 200 ports matches and
// a port outside the set does not.
func TestFilterManyPorts(t *testing.T) {
	var ports []uint16
	for p := uint16(1000); p < 1200; p++ {
		ports = append(ports, p)
	}
	raw, err := capture.Filter(ports, true)
	if err != nil {
		t.Fatal(err)
	}
	var missed []uint16
	for _, p := range ports {
		for _, frame := range [][]byte{tcp4Frame(40000, p), udp6Frame(p, 40000), portUnreach4(40000, p), portUnreach6(40000, p)} {
			if !runFilter(t, raw, frame, packetHost) {
				missed = append(missed, p)
			}
		}
	}
	if diff := cmp.Diff([]uint16(nil), missed); diff != "" {
		t.Errorf("ports not matched (-want +got):\n%s", diff)
	}
	if runFilter(t, raw, tcp4Frame(40000, 999), packetHost) {
		t.Error("port 999 matched, want dropped")
	}
}

func TestFilterRejectsPortZero(t *testing.T) {
	if _, err := capture.Filter([]uint16{0}, true); err == nil {
		t.Error("Filter([0]) succeeded, want an error")
	}
}
