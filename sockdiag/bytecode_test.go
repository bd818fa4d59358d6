package sockdiag_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/tcpteardown/teardown/sockdiag"
)

// The kernel's inet_diag bytecode rules, restated for the test: the
// verifier walks the program along "yes" offsets and wants every jump to
// land on an op or just past the end (+4 = reject); the interpreter accepts
// a socket when it runs exactly off the end.
type op struct {
	code, yes byte
	no        int
}

func opAt(p []byte, off int) op {
	return op{p[off], p[off+1], int(binary.NativeEndian.Uint16(p[off+2:]))}
}

func isPortCmp(code byte) bool { return code == 11 || code == 12 }

func verify(p []byte) error {
	starts := map[int]bool{}
	for off := 0; off < len(p); off += int(opAt(p, off).yes) {
		starts[off] = true
		o, min := opAt(p, off), 4
		if isPortCmp(o.code) {
			min = 8
		}
		left := len(p) - off
		if o.yes < byte(min) || int(o.yes) > left+4 || o.yes%4 != 0 || o.no < min || o.no > left+4 || o.no%4 != 0 {
			return fmt.Errorf("op at %d: bad offsets %+v", off, o)
		}
		if o.code != 1 && !isPortCmp(o.code) {
			return fmt.Errorf("op at %d: unexpected code %d", off, o.code)
		}
	}
	for off := 0; off < len(p); off += int(opAt(p, off).yes) {
		if o := opAt(p, off); o.no < len(p)-off && !starts[off+o.no] {
			return fmt.Errorf("op at %d jumps into the middle of an op", off)
		}
	}
	return nil
}

func run(p []byte, sport, dport uint16) bool {
	off := 0
	for off < len(p) {
		o, yes := opAt(p, off), false
		switch o.code {
		case 11:
			yes = sport == binary.NativeEndian.Uint16(p[off+6:])
		case 12:
			yes = dport == binary.NativeEndian.Uint16(p[off+6:])
		}
		if yes {
			off += int(o.yes)
		} else {
			off += o.no
		}
	}
	return off == len(p)
}

func checkProgram(ports []uint16, sport, dport uint16) error {
	p := sockdiag.PortProgram(ports)
	if err := verify(p); err != nil {
		return err
	}
	want := slices.Contains(ports, sport) || slices.Contains(ports, dport)
	if got := run(p, sport, dport); got != want {
		return fmt.Errorf("ports %v, socket %d→%d: accepted %v, want %v", ports, sport, dport, got, want)
	}
	return nil
}

func TestPortProgram(t *testing.T) {
	many := make([]uint16, 1000)
	for i := range many {
		many[i] = uint16(10000 + i)
	}
	tests := []struct {
		name         string
		ports        []uint16
		sport, dport uint16
	}{
		{"local port", []uint16{9527}, 9527, 40000},
		{"remote port", []uint16{9527}, 40000, 9527},
		{"neither", []uint16{9527}, 40000, 40001},
		{"second of two", []uint16{80, 9527}, 40000, 9527},
		{"none of two", []uint16{80, 9527}, 81, 9528},
		{"last of 1000", many, 10999, 1},
		{"none of 1000", many, 11000, 9999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkProgram(tt.ports, tt.sport, tt.dport); err != nil {
				t.Error(err)
			}
		})
	}
}

// FuzzPortProgram: for any port set, the program is valid and accepts a
// socket exactly when one of its ports is in the set.
func FuzzPortProgram(f *testing.F) {
	f.Add([]byte{0x25, 0x37}, uint16(9527), uint16(1))
	f.Add([]byte{0, 80, 0, 81, 0, 82}, uint16(1), uint16(82))
	f.Fuzz(func(t *testing.T, raw []byte, sport, dport uint16) {
		var ports []uint16
		for i := 0; i+1 < len(raw) && len(ports) < 1000; i += 2 {
			ports = append(ports, binary.BigEndian.Uint16(raw[i:]))
		}
		if len(ports) == 0 {
			return
		}
		if err := checkProgram(ports, sport, dport); err != nil {
			t.Error(err)
		}
	})
}
