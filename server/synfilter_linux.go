package server

import (
	"fmt"
	"net/netip"

	"golang.org/x/net/bpf"

	"github.com/tcpteardown/teardown/internal/sys"
)

// dropSYNProg is a socket filter for a TCP listener: TCP flags are byte 13
// of the TCP header, where the filter's packet starts; a segment with SYN
// set and ACK clear (a new connection) is dropped, anything else kept.
var dropSYNProg = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 13, Size: 1},
	bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x12},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x02, SkipTrue: 1},
	bpf.RetConstant{Val: 0xffffffff},
	bpf.RetConstant{Val: 0},
}

// dropSYN attaches a filter to the listening socket fd that drops new
// connections' SYNs while handshakes already under way complete and land in
// the accept queue. Clients see no answer (they retransmit the SYN), not a
// reset, so a server can empty its accept queue before closing it.
// Unprivileged, SO_ATTACH_FILTER fails with EPERM on this kernel
// (kernel.unprivileged_bpf_disabled = 2): setMinTTL is the fallback.
func dropSYN(fd int) error {
	raw, err := bpf.Assemble(dropSYNProg)
	if err != nil {
		return err
	}
	return sys.AttachFilter(fd, raw)
}

// setMinTTL sets the lowest TTL (IPv4, IP_MINTTL) and, on an IPv6 socket,
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
func setMinTTL(fd, ttl int) error {
	if err := sys.SetInt(fd, sys.IPPROTO_IP, sys.IP_MINTTL, ttl); err != nil {
		return fmt.Errorf("IP_MINTTL: %w", err)
	}
	a, err := sys.SockName(fd)
	if err != nil {
		return err
	}
	if isV6(a) {
		if err := sys.SetInt(fd, sys.IPPROTO_IPV6, sys.IPV6_MINHOPCOUNT, ttl); err != nil {
			return fmt.Errorf("IPV6_MINHOPCOUNT: %w", err)
		}
	}
	return nil
}

// isV6 reports whether a is an AF_INET6 socket's address (IPv4-mapped
// included: such a socket takes IPv6 options).
func isV6(a netip.AddrPort) bool { return a.Addr().Is6() }

// listenQueue returns how many connections wait in a listener's accept
// queue: for a listening socket TCP_INFO's tcpi_unacked is the queue's
// length (sk_ack_backlog, tcp_get_info in net/ipv4/tcp.c).
func listenQueue(fd int) (int, error) {
	ti, err := sys.TCPInfo(fd)
	if err != nil {
		return 0, err
	}
	if ti.State != sys.TCP_LISTEN {
		return 0, nil
	}
	return int(ti.Unacked), nil
}
