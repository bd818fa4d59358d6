package capture_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/capture"
)

var (
	cli4 = netip.MustParseAddrPort("127.0.0.1:60954")
	srv4 = netip.MustParseAddrPort("127.0.0.1:9555")
)

const (
	cliISN  = 2360031724
	srvISN  = 3711801320
	optsSYN = "mss 65495,sackOK,TS val 2736536165 ecr 0,nop,wscale 10"
	optsTS  = "nop,nop,TS val 2736536165 ecr 1407625665"
)

func at(us int) time.Time { return time.Date(2026, 1, 2, 12, 0, 0, us*1000+999, time.Local) }

func seg(from, to netip.AddrPort, f capture.Flags, seq, ack uint32, win uint16, n int, opts string) capture.Segment {
	return capture.Segment{Time: at(123456), Proto: capture.TCP, Src: from, Dst: to, Flags: f,
		Seq: seq, Ack: ack, Win: win, Len: n, Options: opts}
}

// conversation is the seed's exchange as the kernel sent it (recorded from
// tcpdump 4.99 on lo): handshake, "abc", "Hi, abc", client closes first.
var conversation = []capture.Segment{
	seg(cli4, srv4, capture.SYN, cliISN, 0, 65495, 0, optsSYN),
	seg(srv4, cli4, capture.SYN|capture.ACK, srvISN, cliISN+1, 65483, 0, optsSYN),
	seg(cli4, srv4, capture.ACK, cliISN+1, srvISN+1, 64, 0, optsTS),
	seg(cli4, srv4, capture.PSH|capture.ACK, cliISN+1, srvISN+1, 64, 3, optsTS),
	seg(srv4, cli4, capture.ACK, srvISN+1, cliISN+4, 64, 0, optsTS),
	seg(srv4, cli4, capture.PSH|capture.ACK, srvISN+1, cliISN+4, 64, 7, optsTS),
	seg(cli4, srv4, capture.ACK, cliISN+4, srvISN+8, 64, 0, optsTS),
	seg(cli4, srv4, capture.FIN|capture.ACK, cliISN+4, srvISN+8, 64, 0, optsTS),
	seg(srv4, cli4, capture.FIN|capture.ACK, srvISN+8, cliISN+5, 64, 0, optsTS),
	seg(cli4, srv4, capture.ACK, cliISN+5, srvISN+9, 64, 0, optsTS),
}

func TestFormatConversation(t *testing.T) {
	const c, s = "12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: ", "12:00:00.123456 IP 127.0.0.1.9555 > 127.0.0.1.60954: "
	tests := []struct {
		name     string
		absolute bool
		want     []string
	}{
		{"relative", false, []string{
			c + "Flags [S], seq 2360031724, win 65495, options [" + optsSYN + "], length 0",
			s + "Flags [S.], seq 3711801320, ack 2360031725, win 65483, options [" + optsSYN + "], length 0",
			c + "Flags [.], ack 1, win 64, options [" + optsTS + "], length 0",
			c + "Flags [P.], seq 1:4, ack 1, win 64, options [" + optsTS + "], length 3",
			s + "Flags [.], ack 4, win 64, options [" + optsTS + "], length 0",
			s + "Flags [P.], seq 1:8, ack 4, win 64, options [" + optsTS + "], length 7",
			c + "Flags [.], ack 8, win 64, options [" + optsTS + "], length 0",
			c + "Flags [F.], seq 4, ack 8, win 64, options [" + optsTS + "], length 0",
			s + "Flags [F.], seq 8, ack 5, win 64, options [" + optsTS + "], length 0",
			c + "Flags [.], ack 9, win 64, options [" + optsTS + "], length 0",
		}},
		{"absolute (-S)", true, []string{
			c + "Flags [S], seq 2360031724, win 65495, options [" + optsSYN + "], length 0",
			s + "Flags [S.], seq 3711801320, ack 2360031725, win 65483, options [" + optsSYN + "], length 0",
			c + "Flags [.], ack 3711801321, win 64, options [" + optsTS + "], length 0",
			c + "Flags [P.], seq 2360031725:2360031728, ack 3711801321, win 64, options [" + optsTS + "], length 3",
			s + "Flags [.], ack 2360031728, win 64, options [" + optsTS + "], length 0",
			s + "Flags [P.], seq 3711801321:3711801328, ack 2360031728, win 64, options [" + optsTS + "], length 7",
			c + "Flags [.], ack 3711801328, win 64, options [" + optsTS + "], length 0",
			c + "Flags [F.], seq 2360031728, ack 3711801328, win 64, options [" + optsTS + "], length 0",
			s + "Flags [F.], seq 3711801328, ack 2360031729, win 64, options [" + optsTS + "], length 0",
			c + "Flags [.], ack 3711801329, win 64, options [" + optsTS + "], length 0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := capture.Formatter{Absolute: tt.absolute}
			var got []string
			for _, s := range conversation {
				got = append(got, f.Format(s))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestFormatOne covers single lines: each case uses a fresh Formatter
// that has seen the conversation's handshake, so relative numbers apply.
func TestFormatOne(t *testing.T) {
	v6c, v6s := netip.MustParseAddrPort("[::1]:59404"), netip.MustParseAddrPort("[::1]:9555")
	sackOpts := []byte{1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0}
	be32 := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	be32(sackOpts[4:], srvISN+5)
	be32(sackOpts[8:], srvISN+9)
	sack := seg(cli4, srv4, capture.ACK, cliISN+4, srvISN+1, 64, 0, "")
	sack.OptionBytes = sackOpts
	urg := seg(cli4, srv4, capture.URG|capture.ACK|capture.PSH, cliISN+1, srvISN+1, 64, 1, "")
	urg.Urg = 1
	tests := []struct {
		name     string
		absolute bool
		s        capture.Segment
		want     string
	}{
		{"rst without ack stays absolute", false, seg(cli4, srv4, capture.RST, cliISN+4, 0, 0, 0, ""),
			"12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: Flags [R], seq 2360031728, win 0, length 0"},
		{"rst-ack relative", false, seg(cli4, srv4, capture.RST|capture.ACK, cliISN+4, srvISN+8, 0, 0, ""),
			"12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: Flags [R.], seq 4, ack 8, win 0, length 0"},
		{"sack edges relative", false, sack,
			"12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: Flags [.], ack 1, win 64, options [nop,nop,sack 1 {5:9}], length 0"},
		{"sack edges absolute", true, sack,
			"12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: Flags [.], ack 3711801321, win 64, options [nop,nop,sack 1 {3711801325:3711801329}], length 0"},
		{"urgent", false, urg,
			"12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: Flags [P.U], seq 1:2, ack 1, win 64, urg 1, length 1"},
		{"ipv6 syn", false, seg(v6c, v6s, capture.SYN, 3819794434, 0, 65476, 0, "mss 65476"),
			"12:00:00.123456 IP6 ::1.59404 > ::1.9555: Flags [S], seq 3819794434, win 65476, options [mss 65476], length 0"},
		{"udp", false, capture.Segment{Time: at(936520), Proto: capture.UDP, Src: netip.MustParseAddrPort("127.0.0.1:57818"), Dst: srv4, Len: 5},
			"12:00:00.936520 IP 127.0.0.1.57818 > 127.0.0.1.9555: UDP, length 5"},
		{"icmp port unreachable", false, icmpSeg(srv4.Addr(), 3, 3, netip.MustParseAddrPort("127.0.0.1:57818"), srv4, 41),
			"12:00:00.123456 IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 9555 unreachable, length 41"},
		{"icmp6 port unreachable", false, icmpSeg(v6s.Addr(), 1, 4, netip.MustParseAddrPort("[::1]:36906"), v6s, 61),
			"12:00:00.123456 IP6 ::1 > ::1: ICMP6, destination unreachable, unreachable port, ::1 udp port 9555, length 61"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := capture.Formatter{Absolute: tt.absolute}
			f.Format(conversation[0])
			f.Format(conversation[1])
			if diff := cmp.Diff(tt.want, f.Format(tt.s)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func icmpSeg(a netip.Addr, typ, code uint8, qsrc, qdst netip.AddrPort, n int) capture.Segment {
	s := capture.Segment{Time: at(123456), Proto: capture.ICMP, Src: netip.AddrPortFrom(a, 0), Dst: netip.AddrPortFrom(a, 0),
		ICMPType: typ, ICMPCode: code, QuotedProto: capture.UDP, ICMPLen: n}
	s.Quoted.Src, s.Quoted.Dst = qsrc, qdst
	return s
}

// TestFormatMidConnection: a capture that starts after the handshake
// prints the first ACK-bearing segment of each connection absolute, then
// relative to it, as tcpdump does.
func TestFormatMidConnection(t *testing.T) {
	var f capture.Formatter
	got := []string{f.Format(conversation[3]), f.Format(conversation[4])}
	want := []string{
		"12:00:00.123456 IP 127.0.0.1.60954 > 127.0.0.1.9555: Flags [P.], seq 2360031725:2360031728, ack 3711801321, win 64, options [" + optsTS + "], length 3",
		"12:00:00.123456 IP 127.0.0.1.9555 > 127.0.0.1.60954: Flags [.], ack 3, win 64, options [" + optsTS + "], length 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    capture.Flags
		want string
	}{
		{capture.SYN, "S"},
		{capture.SYN | capture.ACK, "S."},
		{capture.FIN | capture.PSH | capture.ACK, "FP."},
		{capture.RST, "R"},
		{capture.RST | capture.ACK, "R."},
		{capture.PSH | capture.ACK | capture.URG, "P.U"},
		{capture.SYN | capture.ECE | capture.CWR, "SEW"},
		{capture.SYN | capture.ACK | capture.ECE, "S.E"},
		{0, "none"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint8(tt.f), got, tt.want)
		}
	}
}
