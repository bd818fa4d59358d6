package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/net/bpf"

	"github.com/tcpteardown/teardown/capture"
)

// capture -r FILE: print a pcap or pcapng file as a live capture would
// (tcpdump -r), filtered by -port and the expression, which run in
// x/net/bpf's VM exactly as the kernel runs them on a live capture.

func runRead(ctx context.Context, env *Env, o *captureOpts) error {
	f, err := os.Open(o.read)
	if err != nil {
		return fmt.Errorf("capture: -r: %w", err)
	}
	defer f.Close()
	r, err := capture.NewFileReader(bufio.NewReaderSize(f, 64<<10))
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
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("capture: -r %s: packet %d: %w", o.read, n+1, err)
		}
		if ok, _ := vm.Run(p.Data); ok == 0 {
			continue
		}
		seg, err := capture.Decode(p.Data)
		if err != nil {
			continue // not TCP/UDP/ICMP over IP: the live capture skips it too
		}
		seg.Time, seg.WireLen = p.Time, p.WireLen
		n++
		if _, err := io.WriteString(env.Stdout, fm.Format(seg)+"\n"); err != nil {
			return fmt.Errorf("capture: print: %w", err)
		}
	}
	return nil
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
