package capture_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tcpteardown/teardown/capture"
)

// BenchmarkFileReader reads a file of 100,000 small frames with
// capture.FileReader and, in the same run, with pcapgo (what teardown used
// before): explain must keep up with tcpdump -r (docs/performance.md).
func BenchmarkFileReader(b *testing.B) {
	for _, ng := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := capture.NewWriter(&buf, ng)
		if err != nil {
			b.Fatal(err)
		}
		f := tcp4Frame(1, 2)
		for i := range 100_000 {
			if err := w.WriteFrame(capture.Frame{Data: f, Time: time.Unix(1e9, int64(i)), WireLen: len(f)}); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		file := buf.Bytes()
		name := map[bool]string{false: "pcap", true: "pcapng"}[ng]
		b.Run(name+"/teardown", func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				r, err := capture.NewFileReader(bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := r.Next(); err != nil {
						if !errors.Is(err, io.EOF) {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
		b.Run(name+"/pcapgo", func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				var next func() ([]byte, error)
				if ng {
					r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.DefaultNgReaderOptions)
					if err != nil {
						b.Fatal(err)
					}
					next = func() ([]byte, error) { d, _, err := r.ZeroCopyReadPacketData(); return d, err }
				} else {
					r, err := pcapgo.NewReader(bytes.NewReader(file))
					if err != nil {
						b.Fatal(err)
					}
					next = func() ([]byte, error) { d, _, err := r.ZeroCopyReadPacketData(); return d, err }
				}
				for {
					if _, err := next(); err != nil {
						if !errors.Is(err, io.EOF) {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}
