package capture_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/capture"
)

func TestExprMatches(t *testing.T) {
	other4 := netip.MustParseAddr("10.0.0.9")
	f := map[string][]byte{
		"tcp4 9527→80":    tcp4Frame(9527, 80),
		"tcp6 9527→80":    tcp6Frame(9527, 80),
		"udp4 53→40000":   udp4Frame(53, 40000),
		"udp6 53→40000":   udp6Frame(53, 40000),
		"tcp4 other host": ether(0x0800, ip4(6, other4, dst4, 5, 0, tcpHdr(tcpSpec{sport: 1, dport: 2}))),
		"tcp4 options 80": ether(0x0800, ip4(6, src4, dst4, 6, 0, tcpHdr(tcpSpec{sport: 1, dport: 80}))),
		"tcp4 later frag": ether(0x0800, ip4(6, src4, dst4, 5, 5, tcpHdr(tcpSpec{sport: 80, dport: 80}))),
		"arp":             ether(0x0806, make([]byte, 28)),
	}
	tests := []struct {
		expr string
		want []string // frames that match
	}{
		{"tcp", []string{"tcp4 9527→80", "tcp6 9527→80", "tcp4 other host", "tcp4 options 80", "tcp4 later frag"}},
		{"udp", []string{"udp4 53→40000", "udp6 53→40000"}},
		{"port 80", []string{"tcp4 9527→80", "tcp6 9527→80", "tcp4 options 80"}},
		{"tcp port 80", []string{"tcp4 9527→80", "tcp6 9527→80", "tcp4 options 80"}},
		{"src port 80", nil},
		{"dst port 80", []string{"tcp4 9527→80", "tcp6 9527→80", "tcp4 options 80"}},
		{"udp and src port 53", []string{"udp4 53→40000", "udp6 53→40000"}},
		{"host 127.0.0.1", []string{"tcp4 9527→80", "udp4 53→40000", "tcp4 options 80", "tcp4 later frag"}},
		{"src 10.0.0.9", []string{"tcp4 other host"}},
		{"dst host 127.0.0.2", []string{"tcp4 9527→80", "udp4 53→40000", "tcp4 other host", "tcp4 options 80", "tcp4 later frag"}},
		{"host ::1", []string{"tcp6 9527→80", "udp6 53→40000"}},
		{"dst host fd00::2 and udp", []string{"udp6 53→40000"}},
		{"not tcp", []string{"udp4 53→40000", "udp6 53→40000", "arp"}},
		{"! ( tcp or udp )", []string{"arp"}},
		{"(port 80 or port 53) and not host ::1", []string{"tcp4 9527→80", "udp4 53→40000", "tcp4 options 80"}},
		{"tcp && port 9527 || udp", []string{"tcp4 9527→80", "tcp6 9527→80", "udp4 53→40000", "udp6 53→40000"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := capture.ParseExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := e.Program(false)
			if err != nil {
				t.Fatal(err)
			}
			for name, frame := range f {
				want := false
				for _, w := range tt.want {
					want = want || w == name
				}
				if got := runFilter(t, prog, frame, 0); got != want {
					t.Errorf("%q on %s: %v, want %v", tt.expr, name, got, want)
				}
			}
		})
	}
}

// On lo the expression's program also drops outgoing copies.
func TestExprDropsOutgoing(t *testing.T) {
	e, err := capture.ParseExpr("tcp")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := e.Program(true)
	if err != nil {
		t.Fatal(err)
	}
	if runFilter(t, prog, tcp4Frame(1, 2), 4) || !runFilter(t, prog, tcp4Frame(1, 2), 0) {
		t.Error("outgoing copy kept or incoming one dropped")
	}
}

func TestExprErrors(t *testing.T) {
	tests := []struct{ expr, says string }{
		{"", "empty"},
		{"icmp", `"icmp" is not supported`},
		{"tcp port 80 and vlan", `"vlan" is not supported`},
		{"port http", "names are not resolved"},
		{"host example.com", "names are not resolved"},
		{"(tcp", "missing )"},
		{"tcp)", `unexpected ")"`},
		{"port", "ends early"},
		{"port 70000", "0 to 65535"},
		{strings.Repeat("( ", 60) + "tcp" + strings.Repeat(" )", 60), "nested"},
	}
	for _, tt := range tests {
		_, err := capture.ParseExpr(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.says) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseExpr(%q) = %v, want one line saying %q", tt.expr, err, tt.says)
		}
	}
	if _, err := capture.ParseExpr("icmp"); !errors.Is(err, capture.ErrUnsupported) {
		t.Errorf("icmp: %v does not wrap ErrUnsupported", err)
	}
}

// FuzzParseExpr: any input parses or fails with an error, and what parses
// compiles to a program the kernel's verifier rules accept (x/net/bpf VM).
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{"tcp port 80", "not (host ::1 or src 10.0.0.1) and udp", "!tcp&&port 1||dst port 2", "((", "port 99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := capture.ParseExpr(s)
		if err != nil {
			return
		}
		prog, err := e.Program(true)
		if err != nil {
			t.Fatalf("%q parses but does not compile: %v", s, err)
		}
		runFilter(t, prog, tcp4Frame(1, 2), 0)
		runFilter(t, prog, udp6Frame(1, 2), 0)
	})
}
