package capture_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcpteardown/teardown/capture"
)

// Linux's SYN options: mss, sackOK, timestamps, nop, wscale.
var synOpts = []byte{2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}

func TestDecode(t *testing.T) {
	ap := netip.AddrPortFrom
	quoted := func(s capture.Segment, p capture.Proto, src, dst netip.AddrPort) capture.Segment {
		s.QuotedProto = p
		s.Quoted.Src, s.Quoted.Dst = src, dst
		return s
	}
	tests := []struct {
		name  string
		frame []byte
		want  capture.Segment
	}{
		{"tcp4 syn with options",
			ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{sport: 40000, dport: 9527, seq: 7, flags: capture.SYN, win: 65495, opts: synOpts}))),
			capture.Segment{Proto: capture.TCP, Src: ap(src4, 40000), Dst: ap(dst4, 9527), Flags: capture.SYN, Seq: 7, Win: 65495,
				Options: "mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7"}},
		{"tcp6 data",
			ether(0x86dd, ip6(6, src6, dst6, tcpHdr(tcpSpec{sport: 1, dport: 2, seq: 10, ack: 20, flags: capture.PSH | capture.ACK, win: 512, payload: []byte("abc")}))),
			capture.Segment{Proto: capture.TCP, Src: ap(src6, 1), Dst: ap(dst6, 2), Flags: capture.PSH | capture.ACK, Seq: 10, Ack: 20, Win: 512,
				Len: 3, Payload: []byte("abc")}},
		{"tcp4 ethernet padding is not payload",
			append(ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{sport: 1, dport: 2, flags: capture.ACK}))), 0, 0, 0, 0, 0, 0),
			capture.Segment{Proto: capture.TCP, Src: ap(src4, 1), Dst: ap(dst4, 2), Flags: capture.ACK}},
		{"udp4", udp4Frame(5, 6),
			capture.Segment{Proto: capture.UDP, Src: ap(src4, 5), Dst: ap(dst4, 6), Len: 5, Payload: []byte("hello")}},
		{"icmp4 port unreachable", portUnreach4(40000, 9527),
			quoted(capture.Segment{Proto: capture.ICMP, Src: ap(dst4, 0), Dst: ap(src4, 0), ICMPType: 3, ICMPCode: 3, ICMPLen: 41},
				capture.UDP, ap(src4, 40000), ap(dst4, 9527))},
		{"icmp6 port unreachable", portUnreach6(40000, 9527),
			quoted(capture.Segment{Proto: capture.ICMP, Src: ap(dst6, 0), Dst: ap(src6, 0), ICMPType: 1, ICMPCode: 4, ICMPLen: 61},
				capture.UDP, ap(src6, 40000), ap(dst6, 9527))},
	}
	ignore := cmpopts.IgnoreFields(capture.Segment{}, "Raw", "WireLen", "OptionBytes")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capture.Decode(tt.frame)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, ignore, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"arp", ether(0x0806, make([]byte, 28))},
		{"ipv4 header cut", tcp4Frame(1, 2)[:20]},
		{"tcp header cut", tcp4Frame(1, 2)[:14+20+10]},
		{"tcp data offset too small", func() []byte { f := tcp4Frame(1, 2); f[14+20+12] = 0x40; return f }()},
		{"ipv4 later fragment", ether(0x0800, ip4(6, src4, dst4, 5, 3, tcpHdr(tcpSpec{})))},
		{"sctp", ether(0x0800, ip4(132, src4, dst4, 5, 0, make([]byte, 12)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := capture.Decode(tt.frame); err == nil {
				t.Errorf("Decode succeeded: %+v", s)
			}
		})
	}
}

// TestOptions checks option printing against tcpdump's rules, malformed
// options included.
func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []byte
		want string
	}{
		{"linux syn", synOpts, "mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7"},
		{"eol ends the list", []byte{1, 0, 2, 4}, "nop,eol"},
		{"length below 2", []byte{1, 2, 1, 0, 0}, "nop,[bad opt]"},
		{"first option bad", []byte{2, 9, 0, 0}, "[bad opt]"},
		{"wrong length for mss", []byte{2, 6, 1, 0, 1, 1, 1, 1}, "mss 256[len 6],nop,nop,nop,nop"},
		{"unknown kind", []byte{99, 4, 0xab, 0xcd}, "unknown-99 0xabcd"},
		{"fast open cookie request", []byte{34, 2, 1, 1}, "tfo  cookiereq,nop,nop"},
		{"experimental fast open", []byte{254, 4, 0xf9, 0x89}, "exp-tfo cookiereq"},
		{"invalid sack", []byte{5, 5, 0, 0, 0}, "sack invalid sack,eol"},
		{"user timeout in minutes", []byte{28, 4, 0, 11}, "uto 0xb 300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			for len(opts)%4 != 0 {
				opts = append(opts, 0) // EOL padding
			}
			frame := ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{sport: 1, dport: 2, opts: opts})))
			s, err := capture.Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Options); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDecode: the decoder and the formatter never panic, whatever the
// frame, and a decoded TCP segment's payload length is never negative.
func FuzzDecode(f *testing.F) {
	for _, frame := range [][]byte{
		tcp4Frame(1, 2), tcp6Frame(1, 2), udp4Frame(1, 2), udp6Frame(1, 2),
		portUnreach4(1, 2), portUnreach6(1, 2),
		ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{opts: synOpts}))),
	} {
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		s, err := capture.Decode(frame)
		if err != nil {
			return
		}
		if s.Len < 0 {
			t.Errorf("negative length %d", s.Len)
		}
		var fm capture.Formatter
		_ = fm.Format(s)
	})
}

// A UDP datagram larger than the MTU leaves in fragments; the first holds
// the UDP header, whose length is the whole datagram's. tcpdump prints
// that length ("UDP, length 3000"), not the fragment's.
func TestDecodeUDPFirstFragment(t *testing.T) {
	udp := udpHdr(40000, 53, make([]byte, 3000))[:1480] // the first fragment's share
	frame := ether(0x0800, ip4(17, src4, dst4, 5, 0x2000, udp))
	s, err := capture.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len != 3000 {
		t.Errorf("Len = %d, want the UDP header's 3000", s.Len)
	}
	if got := (&capture.Formatter{}).Format(s); !strings.Contains(got, "UDP, length 3000") {
		t.Errorf("printed %q, want UDP, length 3000", got)
	}
}
