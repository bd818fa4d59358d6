package capture_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"golang.org/x/net/bpf"
)

// A Formatter prints segments as tcpdump does, with sequence numbers
// relative to each side's ISN once the handshake has been seen.
func ExampleFormatter_Format() {
	cli := netip.MustParseAddrPort("127.0.0.1:56238")
	srv := netip.MustParseAddrPort("127.0.0.1:9527")
	at := time.Date(2026, 1, 2, 12, 0, 0, 123456000, time.Local)
	segs := []capture.Segment{
		{Time: at, Proto: capture.TCP, Src: cli, Dst: srv, Flags: capture.SYN, Seq: 1000, Win: 65495},
		{Time: at, Proto: capture.TCP, Src: srv, Dst: cli, Flags: capture.SYN | capture.ACK, Seq: 5000, Ack: 1001, Win: 65483},
		{Time: at, Proto: capture.TCP, Src: cli, Dst: srv, Flags: capture.PSH | capture.ACK, Seq: 1001, Ack: 5001, Win: 512, Len: 3},
		{Time: at, Proto: capture.TCP, Src: cli, Dst: srv, Flags: capture.FIN | capture.ACK, Seq: 1004, Ack: 5001, Win: 512},
	}
	var f capture.Formatter
	for _, s := range segs {
		fmt.Println(f.Format(s))
	}
	// Output:
	// 12:00:00.123456 IP 127.0.0.1.56238 > 127.0.0.1.9527: Flags [S], seq 1000, win 65495, length 0
	// 12:00:00.123456 IP 127.0.0.1.9527 > 127.0.0.1.56238: Flags [S.], seq 5000, ack 1001, win 65483, length 0
	// 12:00:00.123456 IP 127.0.0.1.56238 > 127.0.0.1.9527: Flags [P.], seq 1:4, ack 1, win 512, length 3
	// 12:00:00.123456 IP 127.0.0.1.56238 > 127.0.0.1.9527: Flags [F.], seq 4, ack 1, win 512, length 0
}

// Filter builds the kernel program; this one keeps port 9527 and drops the
// outgoing copy that lo shows of every frame.
func ExampleFilter() {
	prog, err := capture.Filter([]uint16{9527}, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	insns, _ := bpf.Disassemble(prog)
	fmt.Println(insns[0]) // the first test: which way the frame travels
	// Output: ld #type
}

// Open captures live (as root); Next blocks until a segment of the chosen
// ports arrives.
func ExampleOpen() {
	c, err := capture.Open(&capture.Config{Ports: []uint16{9527}})
	if err != nil {
		fmt.Println(err) // e.g. without CAP_NET_RAW
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var f capture.Formatter
	for {
		s, err := c.Next(ctx)
		if err != nil {
			break // ctx expired or c closed
		}
		fmt.Println(f.Format(s))
	}
	st, _ := c.Stats()
	fmt.Printf("%d packets received by filter, %d dropped by kernel\n", st.Packets, st.Drops)
}
