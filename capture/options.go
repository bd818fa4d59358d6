package capture

import (
	"fmt"
	"strconv"
)

// TCP option kinds (IANA "TCP Option Kind Numbers"; RFC 9293 §3.2 defines
// EOL, NOP and MSS).
const (
	optEOL       = 0
	optNOP       = 1
	optMSS       = 2
	optWScale    = 3
	optSACKOK    = 4
	optSACK      = 5
	optEcho      = 6
	optEchoReply = 7
	optTS        = 8
	optCC        = 11
	optCCNew     = 12
	optCCEcho    = 13
	optMD5       = 19
	optSCPS      = 20
	optUTO       = 28
	optTCPAO     = 29
	optMPTCP     = 30
	optFastOpen  = 34
	optExp2      = 254
)

// optNames are tcpdump's names for the options it knows.
var optNames = map[byte]string{
	optEOL: "eol", optNOP: "nop", optMSS: "mss", optWScale: "wscale",
	optSACKOK: "sackOK", optSACK: "sack", optEcho: "echo", optEchoReply: "echoreply",
	optTS: "TS", optCC: "cc", optCCNew: "ccnew", optCCEcho: "", optMD5: "md5",
	optSCPS: "scps", optUTO: "uto", optTCPAO: "tcp-ao", optMPTCP: "mptcp",
	optFastOpen: "tfo", optExp2: "exp",
}

// badOpt is what tcpdump prints when an option's length is impossible.
const badOpt = "[bad opt]"

// optPrinter walks the option bytes the way tcpdump 4.99 does, including
// its quirks: a fixed-size option whose length byte disagrees is printed
// with "[len N]" and the walk goes on after the bytes tcpdump consumed, not
// after the length the option claimed.
type optPrinter struct {
	b        []byte
	sackBase uint32 // subtracted from SACK edges (tcpdump's relative numbering)
	out      []byte // appended to without fmt: Decode runs for every packet
}

// formatOptions renders TCP options as tcpdump prints them inside
// "options [...]", e.g. "mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7".
// SACK edges are printed minus sackBase.
func formatOptions(b []byte, sackBase uint32) string {
	if len(b) == 0 {
		return ""
	}
	p := optPrinter{b: b, sackBase: sackBase, out: make([]byte, 0, 64)}
	for first := true; len(p.b) > 0; first = false {
		if !first {
			p.out = append(p.out, ',')
		}
		if stop := p.option(); stop {
			break
		}
	}
	return string(p.out)
}

func (p *optPrinter) str(s string) { p.out = append(p.out, s...) }

// num appends " " and v in decimal.
func (p *optPrinter) num(v uint32) {
	p.out = strconv.AppendUint(append(p.out, ' '), uint64(v), 10)
}

func (p *optPrinter) printf(format string, a ...any) { p.out = fmt.Appendf(p.out, format, a...) }

// option prints one option and consumes its bytes; stop ends the walk
// (after EOL or a malformed option).
func (p *optPrinter) option() (stop bool) {
	kind := p.b[0]
	size := 1
	if kind != optEOL && kind != optNOP {
		if len(p.b) < 2 || int(p.b[1]) < 2 || int(p.b[1]) > len(p.b) {
			p.str(badOpt)
			return true
		}
		size = int(p.b[1])
	}
	hdr := min(size, 2)
	if name, known := optNames[kind]; known {
		p.str(name)
	} else {
		p.printf("unknown-%d", kind)
	}
	used, ok := p.body(kind, p.b[hdr:], size-hdr)
	if !ok {
		p.str(badOpt)
		return true
	}
	if used+hdr != size {
		p.printf("[len %d]", size)
	}
	p.b = p.b[hdr+used:]
	return kind == optEOL
}

// body prints the option's data. declared is the data length from the
// length byte; it returns how many bytes tcpdump consumes, and ok=false
// when they are not there.
func (p *optPrinter) body(kind byte, b []byte, declared int) (used int, ok bool) {
	switch kind {
	case optEOL, optNOP, optSACKOK:
		return 0, true
	case optMSS:
		return p.fixed(b, 2, func() { p.num(uint32(be.Uint16(b))) })
	case optWScale:
		return p.fixed(b, 1, func() { p.num(uint32(b[0])) })
	case optEcho, optEchoReply, optCC, optCCNew, optCCEcho:
		return p.fixed(b, 4, func() { p.num(be.Uint32(b)) })
	case optTS:
		return p.fixed(b, 8, p.timestamps(b))
	case optSCPS:
		return p.fixed(b, 2, func() { p.printf(" cap %02x id %d", b[0], b[1]) })
	case optUTO:
		return p.fixed(b, 2, func() { p.uto(be.Uint16(b)) })
	case optSACK:
		return p.sack(b, declared)
	case optMD5:
		return p.fixed(b, 16, func() { p.printf(" shared secret not supplied with -M, can't check - %x", b[:16]) })
	}
	return p.variable(kind, b, declared)
}

// timestamps prints RFC 7323 timestamps: " val TSval ecr TSecr".
func (p *optPrinter) timestamps(b []byte) func() {
	return func() {
		p.str(" val")
		p.num(be.Uint32(b))
		p.str(" ecr")
		p.num(be.Uint32(b[4:]))
	}
}

// fixed checks that n bytes are there and prints them with print.
func (p *optPrinter) fixed(b []byte, n int, print func()) (int, bool) {
	if len(b) < n {
		return 0, false
	}
	print()
	return n, true
}

// uto prints the user timeout (RFC 5482): the raw field, then the value in
// seconds (granularity bit set: the field counts minutes).
func (p *optPrinter) uto(v uint16) {
	p.printf(" 0x%x", v)
	if v&1 != 0 {
		p.num(uint32(v>>1) * 60)
		return
	}
	p.num(uint32(v >> 1))
}

// sack prints "sack N {l:r}{l:r}" (RFC 2018); edges are sequence numbers
// of the peer's stream, made relative like seq/ack.
func (p *optPrinter) sack(b []byte, n int) (int, bool) {
	if n%8 != 0 {
		p.str(" invalid sack")
		return n, true
	}
	if len(b) < n {
		return 0, false
	}
	p.printf(" %d ", n/8)
	for i := 0; i < n; i += 8 {
		p.printf("{%d:%d}", be.Uint32(b[i:])-p.sackBase, be.Uint32(b[i+4:])-p.sackBase)
	}
	return n, true
}

// variable prints options whose data length comes from the length byte.
func (p *optPrinter) variable(kind byte, b []byte, n int) (int, bool) {
	if len(b) < n {
		return 0, false
	}
	b = b[:n]
	switch kind {
	case optTCPAO:
		p.tcpAO(b)
	case optMPTCP:
		p.mptcp(b)
	case optFastOpen:
		p.str(" ")
		p.fastOpen(b)
	case optExp2:
		return n, p.exp2(b)
	default:
		if n > 0 {
			p.printf(" 0x%x", b)
		}
	}
	return n, true
}

func (p *optPrinter) tcpAO(b []byte) {
	if len(b) < 2 {
		p.str(" (invalid)")
		return
	}
	p.printf(" keyid %d rnextkeyid %d", b[0], b[1])
	if len(b) > 2 {
		p.printf(" mac 0x%x", b[2:])
	}
}

// mptcpSubtypes names MPTCP option subtypes (RFC 8684 §3). tcpdump prints
// more detail per subtype; teardown prints the subtype only.
var mptcpSubtypes = []string{"capable", "join", "dss", "add-addr", "remove-addr", "prio", "fail", "fast-close", "tcprst"}

func (p *optPrinter) mptcp(b []byte) {
	if len(b) == 0 {
		return
	}
	if st := int(b[0] >> 4); st < len(mptcpSubtypes) {
		p.str(" " + mptcpSubtypes[st])
	}
}

// fastOpen prints a TCP Fast Open cookie (RFC 7413): an empty option is a
// cookie request.
func (p *optPrinter) fastOpen(b []byte) {
	switch {
	case len(b) == 0:
		p.str(" cookiereq")
	case len(b)%2 != 0 || len(b) < 4 || len(b) > 16:
		p.str(" (invalid)")
	default:
		p.printf(" cookie %x", b)
	}
}

// exp2 prints an RFC 6994 experimental option: "exp-" and its magic, or
// "exp-tfo" for the pre-standard Fast Open magic 0xf989.
func (p *optPrinter) exp2(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	p.str("-")
	if magic := be.Uint16(b); magic != 0xf989 {
		p.printf("%04x", magic)
		return true
	}
	p.str("tfo")
	p.fastOpen(b[2:])
	return true
}
