package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/tcpteardown/teardown/capture"
)

// capture -r FILE: print a pcap or pcapng file as a live capture would
// (tcpdump -r), filtered by -port and the expression, which run in
// x/net/bpf's VM exactly as the kernel runs them on a live capture.

// packetReader is pcapgo's Reader or NgReader.
type packetReader interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func runRead(ctx context.Context, env *Env, o *captureOpts) error {
	f, err := os.Open(o.read)
	if err != nil {
		return fmt.Errorf("capture: -r: %w", err)
	}
	defer f.Close()
	r, err := openPacketReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return fmt.Errorf("capture: -r %s: %w (want a pcap or pcapng file, e.g. from tcpdump -w)", o.read, err)
	}
	vm, err := readFilter(o)
	if err != nil {
		return err
	}
	fm := capture.Formatter{Absolute: o.absolute}
	n := 0
	for (o.count == 0 || n < o.count) && ctx.Err() == nil {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("capture: -r %s: packet %d: %w", o.read, n+1, err)
		}
		if ok, _ := vm.Run(data); ok == 0 {
			continue
		}
		seg, err := capture.Decode(data)
		if err != nil {
			continue // not TCP/UDP/ICMP over IP: the live capture skips it too
		}
		seg.Time, seg.WireLen = ci.Timestamp, ci.Length
		n++
		if _, err := io.WriteString(env.Stdout, fm.Format(seg)+"\n"); err != nil {
			return fmt.Errorf("capture: print: %w", err)
		}
	}
	return nil
}

// openPacketReader tells pcapng (its section header block starts with
// 0x0a0d0d0a) from pcap.
func openPacketReader(r *bufio.Reader) (packetReader, error) {
	magic, err := r.Peek(4)
	if err != nil {
		return nil, err
	}
	if string(magic) == "\x0a\x0d\x0d\x0a" {
		return pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
	}
	return pcapgo.NewReader(r)
}

// readFilter is the kernel program of a live capture with the same flags
// (no outgoing copies to drop in a file).
func readFilter(o *captureOpts) (*bpf.VM, error) {
	var raw []bpf.RawInstruction
	var err error
	if o.expr != nil {
		e := o.expr
		if len(o.ports) > 0 {
			e = capture.WithPorts(e, o.ports)
		}
		raw, err = e.Program(false)
	} else {
		raw, err = capture.Filter(o.ports, false)
	}
	if err != nil {
		return nil, err
	}
	prog, _ := bpf.Disassemble(raw)
	vm, err := bpf.NewVM(prog)
	if err != nil {
		return nil, fmt.Errorf("capture: filter: %w", err)
	}
	return vm, nil
}
