package sys

import (
	"os"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ShutWR is the how of shutdown(2) that ends the sending direction only.
const ShutWR = unix.SHUT_WR

// The lingerer's system calls (fcntl, shutdown, read, close on a
// non-blocking socket, epoll_ctl) never block, so they are made raw: without
// the runtime's entersyscall, a goroutine keeps its P during the call and
// the runtime's sysmon never hands that P to a new OS thread. On a loaded
// machine a close that sends a FIN on loopback can take longer than sysmon's
// 20 µs tick, and each hand-off may start a thread that then lives as long as
// the process (measured: 112 threads after a burst of 10,000 connections,
// 256 at once, on 2 cores; docs/performance.md).
func rawErr(op string, e unix.Errno) error {
	if e != 0 {
		return os.NewSyscallError(op, e)
	}
	return nil
}

// DupFD duplicates fd (close-on-exec). Both descriptors name the same
// socket; the kernel closes the connection only when the last one is closed,
// so a duplicate outlives a net.Conn's Close without anything being sent.
func DupFD(fd int) (int, error) {
	nfd, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, rawErr("fcntl", e)
	}
	return int(nfd), nil
}

// ReadFD reads from a non-blocking descriptor: (0, nil) is EOF, and an
// empty socket gives an error wrapping EAGAIN.
func ReadFD(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, rawErr("read", e)
	}
	return int(n), nil
}

// CloseFD is close(2) and nothing else: one system call per close matters
// to a server closing tens of thousands of connections a second.
func CloseFD(fd int) error {
	_, _, e := unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	return rawErr("close", e)
}

// ShutWriteFD is shutdown(fd, SHUT_WR), raw (see rawErr).
func ShutWriteFD(fd int) error {
	_, _, e := unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), unix.SHUT_WR, 0)
	return rawErr("shutdown", e)
}

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
