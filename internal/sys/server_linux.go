package sys

import (
	"os"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ShutWR is the how of shutdown(2) that ends the sending direction only.
const ShutWR = unix.SHUT_WR

// DupFD duplicates fd (close-on-exec). Both descriptors name the same
// socket; the kernel closes the connection only when the last one is closed,
// so a duplicate outlives a net.Conn's Close without anything being sent.
func DupFD(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("fcntl", err)
	}
	return nfd, nil
}

// ReadFD reads from a non-blocking descriptor: (0, nil) is EOF, and an
// empty socket gives an error wrapping EAGAIN.
func ReadFD(fd int, p []byte) (int, error) {
	n, err := unix.Read(fd, p)
	if err != nil {
		return 0, os.NewSyscallError("read", err)
	}
	return n, nil
}

// CloseFD is close(2) and nothing else: one system call per close matters
// to a server closing tens of thousands of connections a second.
func CloseFD(fd int) error { return os.NewSyscallError("close", unix.Close(fd)) }

// dropSYN is a socket filter for a TCP listener: TCP flags are byte 13 of
// the TCP header, where the filter's packet starts; a segment with SYN set
// and ACK clear (a new connection) is dropped, anything else kept.
var dropSYN = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 13, Size: 1},
	bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x12},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x02, SkipTrue: 1},
	bpf.RetConstant{Val: 0xffffffff},
	bpf.RetConstant{Val: 0},
}

// DropSYN attaches a filter to the listening socket fd that drops new
// connections' SYNs while handshakes already under way complete and land in
// the accept queue. Clients see no answer (they retransmit the SYN), not a
// reset, so a server can empty its accept queue before closing it.
func DropSYN(fd int) error {
	raw, err := bpf.Assemble(dropSYN)
	if err != nil {
		return err
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	return os.NewSyscallError("setsockopt", unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog))
}
