package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Wire constants of linux/inet_diag.h and linux/socket.h. They are written
// out here (not taken from x/sys/unix) so that the encoder and decoder are
// portable pure Go: the fuzz test runs on every OS.
const (
	afInet     = 2
	afInet6    = 10
	ipprotoTCP = 6

	attrInfo     = 2 // INET_DIAG_INFO: struct tcp_info
	attrShutdown = 8 // INET_DIAG_SHUTDOWN: u8 sk_shutdown

	reqLen = 56 // struct inet_diag_req_v2
	msgLen = 72 // struct inet_diag_msg
)

var errShort = errors.New("short inet_diag_msg")

// request encodes an inet_diag_req_v2 asking for every TCP socket of one
// family in the states of mask, with tcp_info attached. Ports go in a
// bytecode attribute appended to it (bytecode.go).
func request(family uint8, mask uint32) []byte {
	b := make([]byte, reqLen)
	b[0] = family
	b[1] = ipprotoTCP
	b[2] = 1 << (attrInfo - 1) // idiag_ext: which attributes to add
	binary.NativeEndian.PutUint32(b[4:], mask)
	return b
}

// stateMask returns the idiag_states bit mask for states (all when empty).
// Asking for SYN-RECV also returns the request mini-sockets (NEW_SYN_RECV),
// which the kernel reports as SYN-RECV.
func stateMask(states []tcpstate.State) uint32 {
	if len(states) == 0 {
		return 0xffffffff
	}
	var m uint32
	for _, s := range states {
		m |= 1 << s
		if s == tcpstate.FinWait2 {
			// An orphaned FIN-WAIT-2 socket is a timewait mini-socket in
			// its FIN-WAIT-2 substate: the kernel matches the mask against
			// TIME_WAIT and reports the substate (measured on 6.18: with
			// FIN_WAIT2 alone such sockets are missing). Match filters the
			// rows by their reported state afterwards.
			m |= 1 << tcpstate.TimeWait
		}
	}
	return m
}

// parseMsg decodes one inet_diag_msg and its attributes.
func parseMsg(b []byte) (Socket, error) {
	if len(b) < msgLen {
		return Socket{}, fmt.Errorf("sockdiag: %w: %d bytes", errShort, len(b))
	}
	local, remote, err := parseAddrs(b)
	if err != nil {
		return Socket{}, err
	}
	ne := binary.NativeEndian
	s := Socket{
		State:   tcpstate.State(b[1]),
		Local:   local,
		Remote:  remote,
		Timer:   Timer(b[2]),
		Retrans: b[3],
		Cookie:  uint64(ne.Uint32(b[48:]))<<32 | uint64(ne.Uint32(b[44:])),
		Expires: time.Duration(ne.Uint32(b[52:])) * time.Millisecond,
		RecvQ:   ne.Uint32(b[56:]),
		SendQ:   ne.Uint32(b[60:]),
		UID:     ne.Uint32(b[64:]),
		Inode:   ne.Uint32(b[68:]),
	}
	s.Orphan = isOrphan(s)
	return s, parseAttrs(&s, b[msgLen:])
}

// isOrphan: a socket no descriptor refers to has inode 0, but so do rows
// that never had a descriptor: TIME-WAIT and SYN-RECV mini-sockets, and
// connections still waiting in an accept queue (ESTABLISHED or, if the peer
// already left, CLOSE-WAIT). close() moves a connection out of those states
// (a FIN or an RST is sent), so an orphan is a row with inode 0 in a state
// only close() leads to. A FIN-WAIT-2 mini-socket is what an orphaned
// FIN-WAIT-2 socket becomes (see doc.go), so it counts.
func isOrphan(s Socket) bool {
	switch s.State {
	case tcpstate.FinWait1, tcpstate.FinWait2, tcpstate.Closing, tcpstate.LastAck:
		return s.Inode == 0
	}
	return false
}

// parseAddrs decodes the ports (network order) and addresses of inet_diag_sockid.
func parseAddrs(b []byte) (local, remote netip.AddrPort, err error) {
	sport := binary.BigEndian.Uint16(b[4:])
	dport := binary.BigEndian.Uint16(b[6:])
	switch b[0] {
	case afInet:
		local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[8:12])), sport)
		remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[24:28])), dport)
	case afInet6:
		local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), sport)
		remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[24:40])), dport)
	default:
		err = fmt.Errorf("sockdiag: unknown address family %d", b[0])
	}
	return local, remote, err
}

// parseAttrs walks the netlink attributes (rtattr: u16 length, u16 type,
// value, padded to 4 bytes) after the message.
func parseAttrs(s *Socket, b []byte) error {
	for len(b) >= 4 {
		n := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:])
		if n < 4 || n > len(b) {
			return fmt.Errorf("sockdiag: bad attribute length %d (%d left)", n, len(b))
		}
		applyAttr(s, typ&0x3fff, b[4:n]) // the top bits are nesting flags
		b = b[min((n+3)&^3, len(b)):]
	}
	return nil
}

func applyAttr(s *Socket, typ uint16, v []byte) {
	switch {
	case typ == attrInfo:
		s.Info = parseTCPInfo(v)
	case typ == attrShutdown && len(v) >= 1:
		s.Shutdown = Shutdown(v[0] & 3)
	}
}

// tcp_info offsets (linux/tcp.h). The struct only ever grows, so a field is
// read when the kernel's copy is long enough to hold it.
const (
	offRTO, offUnacked, offLost           = 8, 24, 32
	offRTT, offRTTVar, offTotalRetrans    = 68, 72, 100
	offBytesAcked, offBytesReceived       = 120, 128
	offNotSent, offSndWnd, offRcvWnd, end = 144, 228, 232, 236
)

func parseTCPInfo(v []byte) *TCPInfo {
	if len(v) < offTotalRetrans+4 {
		return nil // older than Linux 2.6.x: nothing useful
	}
	full := make([]byte, end) // missing tail fields read as zero
	copy(full, v)
	u32 := func(off int) uint32 { return binary.NativeEndian.Uint32(full[off:]) }
	us := func(off int) time.Duration { return time.Duration(u32(off)) * time.Microsecond }
	return &TCPInfo{
		RTT: us(offRTT), RTTVar: us(offRTTVar), RTO: us(offRTO),
		Retransmits: u32(offTotalRetrans), Unacked: u32(offUnacked), Lost: u32(offLost),
		BytesAcked:    binary.NativeEndian.Uint64(full[offBytesAcked:]),
		BytesReceived: binary.NativeEndian.Uint64(full[offBytesReceived:]),
		NotSent:       u32(offNotSent), SndWnd: u32(offSndWnd), RcvWnd: u32(offRcvWnd),
	}
}
