package sockdiag

import "encoding/binary"

// The kernel can filter a sock_diag dump itself with a small bytecode
// program (linux/inet_diag.h, the language ss compiles its filters to). A
// socket is dropped before the kernel computes its tcp_info and copies it,
// which matters on a host with tens of thousands of sockets: List of one
// port then costs little more than the kernel's walk over its hash tables.
const (
	attrReqBytecode = 1  // INET_DIAG_REQ_BYTECODE
	bcJmp           = 1  // INET_DIAG_BC_JMP: always take "no"
	bcSrcEq         = 11 // INET_DIAG_BC_S_EQ: local port equals
	bcDstEq         = 12 // INET_DIAG_BC_D_EQ: remote port equals
	condLen, jmpLen = 8, 4

	// maxBytecodePorts keeps the program's jumps inside the u16 offsets
	// (24 bytes per port); with more ports List filters in Go only.
	maxBytecodePorts = 1000
)

// portProgram compiles "local or remote port in ports". Each op is
// {code u8, yes u8, no u16}: the interpreter advances by yes bytes when the
// condition holds and by no bytes when not; running exactly off the end
// accepts the socket, jumping 4 bytes past it rejects. yes is a single byte,
// too small for "accept" from the start of a long program, so every
// comparison is followed by a JMP whose 16-bit no reaches the end:
//
//	EQ port (yes → its JMP, no → next EQ)   JMP (→ end: accept)   …
//	last EQ: no → 4 bytes past the end (reject)
//
// The kernel's verifier walks the program along the yes offsets, so a JMP's
// yes is its own length.
func portProgram(ports []uint16) []byte {
	n := 2 * len(ports)
	total := n * (condLen + jmpLen)
	b := make([]byte, 0, total)
	for i := range n {
		code := byte(bcSrcEq)
		if i%2 == 1 {
			code = bcDstEq
		}
		rest := total - i*(condLen+jmpLen) // bytes from this comparison to the end
		no := condLen + jmpLen
		if i == n-1 {
			no = rest + 4 // no more ports to try: reject
		}
		b = appendOp(b, code, condLen, no)
		b = appendOp(b, 0, 0, int(ports[i/2])) // the port rides in the next op's "no"
		b = appendOp(b, bcJmp, jmpLen, rest-condLen)
	}
	return b
}

func appendOp(b []byte, code, yes byte, no int) []byte {
	b = append(b, code, yes)
	return binary.NativeEndian.AppendUint16(b, uint16(no))
}

// bytecodeAttr wraps the program of f's ports in the request attribute, or
// returns nil when the kernel should not filter.
func bytecodeAttr(ports []uint16) []byte {
	if len(ports) == 0 || len(ports) > maxBytecodePorts {
		return nil
	}
	prog := portProgram(ports)
	a := make([]byte, 4, 4+len(prog))
	binary.NativeEndian.PutUint16(a, uint16(4+len(prog)))
	binary.NativeEndian.PutUint16(a[2:], attrReqBytecode)
	return append(a, prog...)
}
