package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// Expr is a parsed capture filter expression: the common part of tcpdump's
// pcap-filter(7) language, compiled to classic BPF without libpcap.
//
//	expr      = term { ("or" | "||") term }
//	term      = factor { ("and" | "&&") factor }
//	factor    = ("not" | "!") factor | "(" expr ")" | primitive
//	primitive = ["tcp" | "udp"] [ "src" | "dst" ] ("host" ADDR | "port" N | ADDR)
//	          | "tcp" | "udp"
//
// "tcp port 80" means tcp and port 80, "src 10.0.0.1" means src host
// 10.0.0.1, as in tcpdump. Like tcpdump's, port primitives see neither
// IPv6 extension headers nor IPv4 fragments after the first.
type Expr struct {
	text string
	root node
}

// String returns the expression as it was given.
func (e *Expr) String() string { return e.text }

// node is one operator or primitive of the expression tree.
type node interface {
	// emit jumps to yes when the frame matches and to no otherwise.
	emit(b *exprBuilder, yes, no string)
}

type (
	orNode   struct{ a, b node }
	andNode  struct{ a, b node }
	notNode  struct{ a node }
	protoSel struct{ proto uint8 } // tcp or udp
	hostSel  struct {
		dir  string // "", "src" or "dst"
		addr netip.Addr
	}
	portSel struct {
		dir  string
		port uint16
	}
)

// ErrUnsupported is wrapped by ParseExpr for words of pcap-filter(7) that
// teardown does not compile.
var ErrUnsupported = fmt.Errorf("not supported")

// maxExprWords bounds the expression (and so the program's length).
const maxExprWords = 200

// ParseExpr parses a filter expression. An error names the word that is
// wrong or not supported.
func ParseExpr(s string) (*Expr, error) {
	toks := tokenize(s)
	if len(toks) == 0 {
		return nil, fmt.Errorf("capture: filter expression is empty")
	}
	if len(toks) > maxExprWords {
		return nil, fmt.Errorf("capture: filter expression of %d words: at most %d", len(toks), maxExprWords)
	}
	p := &parser{toks: toks}
	n, err := p.expr(0)
	if err == nil && p.i < len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	if err != nil {
		return nil, fmt.Errorf("capture: filter %q: %w", s, err)
	}
	return &Expr{text: s, root: n}, nil
}

// tokenize splits at blanks and around parentheses and "!".
func tokenize(s string) []string {
	for _, sym := range []string{"(", ")", "!"} {
		s = strings.ReplaceAll(s, sym, " "+sym+" ")
	}
	return strings.Fields(s)
}

type parser struct {
	toks []string
	i    int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return strings.ToLower(p.toks[p.i])
	}
	return ""
}

func (p *parser) next() string { t := p.peek(); p.i++; return t }

// depth bounds the nesting of parentheses and "not".
const maxDepth = 50

func (p *parser) expr(depth int) (node, error) {
	n, err := p.term(depth)
	for err == nil && (p.peek() == "or" || p.peek() == "||") {
		p.next()
		var m node
		if m, err = p.term(depth); err == nil {
			n = orNode{n, m}
		}
	}
	return n, err
}

func (p *parser) term(depth int) (node, error) {
	n, err := p.factor(depth)
	for err == nil && (p.peek() == "and" || p.peek() == "&&") {
		p.next()
		var m node
		if m, err = p.factor(depth); err == nil {
			n = andNode{n, m}
		}
	}
	return n, err
}

func (p *parser) factor(depth int) (node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d deep", maxDepth)
	}
	switch p.peek() {
	case "not", "!":
		p.next()
		n, err := p.factor(depth + 1)
		return notNode{n}, err
	case "(":
		p.next()
		n, err := p.expr(depth + 1)
		if err == nil && p.next() != ")" {
			err = fmt.Errorf("missing )")
		}
		return n, err
	}
	return p.primitive()
}

func (p *parser) primitive() (node, error) {
	var proto node
	switch p.peek() {
	case "tcp":
		proto = protoSel{protoTCP}
	case "udp":
		proto = protoSel{protoUDP}
	}
	if proto != nil {
		p.next()
		if !p.qualifierNext() {
			return proto, nil
		}
	}
	sel, err := p.selector()
	if err != nil || proto == nil {
		return sel, err
	}
	return andNode{proto, sel}, nil
}

// qualifierNext: the next word continues a primitive (tcp port 80).
func (p *parser) qualifierNext() bool {
	switch p.peek() {
	case "src", "dst", "host", "port":
		return true
	}
	return false
}

func (p *parser) selector() (node, error) {
	dir := ""
	if w := p.peek(); w == "src" || w == "dst" {
		dir = p.next()
	}
	w := p.next()
	if (w == "host" || w == "port") && p.peek() == "" {
		return nil, fmt.Errorf("expression ends early: %s of what?", w)
	}
	switch w {
	case "host":
		return p.host(dir, p.next())
	case "port":
		return p.port(dir, p.next())
	case "":
		return nil, fmt.Errorf("expression ends early")
	}
	if _, err := netip.ParseAddr(w); err == nil && dir != "" {
		return p.host(dir, w) // "src 10.0.0.1"
	}
	return nil, fmt.Errorf("%q is %w: use host, port, src, dst, tcp, udp, and, or, not, parentheses", w, ErrUnsupported)
}

func (p *parser) host(dir, w string) (node, error) {
	a, err := netip.ParseAddr(w)
	if err != nil || a.Zone() != "" {
		return nil, fmt.Errorf("host %q: want an IPv4 or IPv6 address (names are not resolved)", w)
	}
	return hostSel{dir, a.Unmap()}, nil
}

func (p *parser) port(dir, w string) (node, error) {
	n, err := strconv.ParseUint(w, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: want a number from 0 to 65535 (names are not resolved)", w)
	}
	return portSel{dir, uint16(n)}, nil
}

// exprBuilder compiles a tree into the assembler with fresh labels.
type exprBuilder struct {
	a *asm
	n int
}

func (b *exprBuilder) fresh() string { b.n++; return "e" + strconv.Itoa(b.n) }

func (n orNode) emit(b *exprBuilder, yes, no string) {
	other := b.fresh()
	n.a.emit(b, yes, other)
	b.a.label(other)
	n.b.emit(b, yes, no)
}

func (n andNode) emit(b *exprBuilder, yes, no string) {
	other := b.fresh()
	n.a.emit(b, other, no)
	b.a.label(other)
	n.b.emit(b, yes, no)
}

func (n notNode) emit(b *exprBuilder, yes, no string) { n.a.emit(b, no, yes) }

// ipVersion jumps to v4 or v6 by the EtherType, to no for anything else.
func ipVersion(b *exprBuilder, v4, v6, no string) {
	b.a.op(bpf.LoadAbsolute{Off: offEtherType, Size: 2})
	b.a.jeq(etherTypeIP4, v4, "")
	b.a.jeq(etherTypeIP6, v6, no)
}

func (n protoSel) emit(b *exprBuilder, yes, no string) {
	v4, v6 := b.fresh(), b.fresh()
	ipVersion(b, v4, v6, no)
	b.a.label(v4)
	b.a.op(bpf.LoadAbsolute{Off: offIP4Proto, Size: 1})
	b.a.jeq(uint32(n.proto), yes, no)
	b.a.label(v6)
	b.a.op(bpf.LoadAbsolute{Off: offIP6Next, Size: 1})
	b.a.jeq(uint32(n.proto), yes, no)
}

// IPv4 source and destination sit 12 and 16 bytes into the IP header,
// IPv6's 8 and 24.
func (n hostSel) emit(b *exprBuilder, yes, no string) {
	ip := b.fresh()
	if n.addr.Is4() {
		ipVersion(b, ip, no, no)
		b.a.label(ip)
		a := n.addr.As4()
		b.words(n.dir, ethHeaderLen+12, ethHeaderLen+16, a[:], yes, no)
		return
	}
	ipVersion(b, no, ip, no)
	b.a.label(ip)
	a := n.addr.As16()
	b.words(n.dir, ethHeaderLen+8, ethHeaderLen+24, a[:], yes, no)
}

// words compares the address at src and/or dst (by dir) with want, four
// bytes at a time.
func (b *exprBuilder) words(dir string, src, dst uint32, want []byte, yes, no string) {
	offs := []uint32{src, dst}
	switch dir {
	case "src":
		offs = offs[:1]
	case "dst":
		offs = offs[1:]
	}
	for i, off := range offs {
		miss := no
		if i < len(offs)-1 {
			miss = b.fresh()
		}
		for w := 0; w < len(want); w += 4 {
			b.a.op(bpf.LoadAbsolute{Off: off + uint32(w), Size: 4})
			next := ""
			if w+4 == len(want) {
				next = yes
			}
			b.a.jump(bpf.JumpEqual, binary.BigEndian.Uint32(want[w:]), next, miss)
		}
		if miss != no {
			b.a.label(miss)
		}
	}
}

// Ports: TCP or UDP only, IPv4 first fragments only; the IPv4 header
// length comes from its IHL (ldxb 4*([14]&0xf)).
func (n portSel) emit(b *exprBuilder, yes, no string) {
	v4, v6, v4ports := b.fresh(), b.fresh(), b.fresh()
	ipVersion(b, v4, v6, no)
	b.a.label(v4)
	b.a.op(bpf.LoadAbsolute{Off: offIP4Proto, Size: 1})
	b.a.jeq(protoTCP, v4ports, "")
	b.a.jeq(protoUDP, v4ports, no)
	b.a.label(v4ports)
	b.a.op(bpf.LoadAbsolute{Off: offIP4Frag, Size: 2})
	b.a.jset(0x1fff, no, "")
	b.a.op(bpf.LoadMemShift{Off: ethHeaderLen})
	b.ports(n, func(off uint32) bpf.Instruction { return bpf.LoadIndirect{Off: ethHeaderLen + off, Size: 2} }, yes, no)
	b.a.label(v6)
	v6ports := b.fresh()
	b.a.op(bpf.LoadAbsolute{Off: offIP6Next, Size: 1})
	b.a.jeq(protoTCP, v6ports, "")
	b.a.jeq(protoUDP, v6ports, no)
	b.a.label(v6ports)
	b.ports(n, func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: offIP6Body + off, Size: 2} }, yes, no)
}

func (b *exprBuilder) ports(n portSel, load func(off uint32) bpf.Instruction, yes, no string) {
	offs := []uint32{0, 2}
	switch n.dir {
	case "src":
		offs = offs[:1]
	case "dst":
		offs = offs[1:]
	}
	for i, off := range offs {
		b.a.op(load(off))
		if i < len(offs)-1 {
			b.a.jeq(uint32(n.port), yes, "")
		} else {
			b.a.jeq(uint32(n.port), yes, no)
		}
	}
}

// WithPorts is e and (port p or port q …): -port given with an expression.
func WithPorts(e *Expr, ports []uint16) *Expr {
	if len(ports) == 0 {
		return e
	}
	var any node = portSel{port: ports[0]}
	for _, p := range ports[1:] {
		any = orNode{any, portSel{port: p}}
	}
	return &Expr{text: e.text, root: andNode{e.root, any}}
}

// exprProgram compiles e (and the outgoing-frame drop) into a program that
// returns snap for a match and 0 otherwise.
func exprProgram(e *Expr, dropOutgoing bool, snap uint32) ([]bpf.RawInstruction, error) {
	b := &exprBuilder{a: &asm{}}
	if dropOutgoing {
		b.a.op(bpf.LoadExtension{Num: bpf.ExtType})
		b.a.jeq(packetOutgoing, "drop", "")
	}
	e.root.emit(b, "accept", "drop")
	b.a.label("accept")
	b.a.op(bpf.RetConstant{Val: snap})
	b.a.label("drop")
	b.a.op(bpf.RetConstant{Val: 0})
	ins, err := b.a.assemble()
	if err != nil {
		return nil, fmt.Errorf("capture: filter %q: %w", e.text, err)
	}
	return bpf.Assemble(ins)
}

// Program returns the classic BPF program for e, as Filter does for ports
// (dropOutgoing: see Filter).
func (e *Expr) Program(dropOutgoing bool) ([]bpf.RawInstruction, error) {
	return exprProgram(e, dropOutgoing, DefaultSnapLen)
}
