package capture_test

import (
	"testing"

	"github.com/tcpteardown/teardown/capture"
)

// BenchmarkDecode measures decoding a Linux SYN with its options (the most
// expensive common segment) and formatting it.
func BenchmarkDecode(b *testing.B) {
	frame := ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{sport: 1, dport: 2, flags: capture.SYN, opts: synOpts})))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := capture.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	frame := ether(0x0800, ip4(6, src4, dst4, 5, 0, tcpHdr(tcpSpec{sport: 1, dport: 2, flags: capture.SYN, opts: synOpts})))
	s, err := capture.Decode(frame)
	if err != nil {
		b.Fatal(err)
	}
	var f capture.Formatter
	b.ReportAllocs()
	for b.Loop() {
		_ = f.Format(s)
	}
}
