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

// SetMinTTL sets the lowest TTL (IPv4, IP_MINTTL) and, on an IPv6 socket,
// hop limit (IPV6_MINHOPCOUNT, RFC 5082's GTSM) of the segments the socket
// accepts; 0 accepts all. Unlike a socket filter it needs no privilege.
//
// On a listener set to 255 it stops new handshakes and nothing else
// (measured on Linux 6.18 as an unprivileged user: connect times out, the
// queued connections read their request): tcp_v4_rcv and tcp_v6_rcv test
// the bound after they hand a handshake's last ACK to its request socket, so
// only segments for the listener itself, new SYNs, are dropped. A connection
// created meanwhile inherits the bound from the listener (the socket is
// cloned) and must have it cleared once accepted, or its peer's data is
// dropped until then.
func SetMinTTL(fd, ttl int) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MINTTL, ttl); err != nil {
		return os.NewSyscallError("setsockopt IP_MINTTL", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	if _, v6 := sa.(*unix.SockaddrInet6); v6 {
		err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MINHOPCOUNT, ttl)
		return os.NewSyscallError("setsockopt IPV6_MINHOPCOUNT", err)
	}
	return nil
}

// ListenQueue returns how many connections wait in a listener's accept
// queue: for a listening socket TCP_INFO's tcpi_unacked is the queue's
// length (sk_ack_backlog, tcp_get_info in net/ipv4/tcp.c).
func ListenQueue(fd int) (int, error) {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt TCP_INFO", err)
	}
	if ti.State != unix.BPF_TCP_LISTEN {
		return 0, nil
	}
	return int(ti.Unacked), nil
}
