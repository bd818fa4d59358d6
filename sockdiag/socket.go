package sockdiag

import (
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Timer is the timer a socket has pending, as `ss -o` shows it.
type Timer uint8

const (
	TimerNone      Timer = iota
	TimerOn              // retransmission
	TimerKeepalive       // keepalive (also FIN-WAIT-2 orphan timeout)
	TimerTimeWait        // TIME-WAIT expiry
	TimerProbe           // zero-window probe
)

func (t Timer) String() string {
	return [...]string{"", "on", "keepalive", "timewait", "persist"}[t]
}

// Socket is one row of the socket table, like a line of `ss -tanoie`.
type Socket struct {
	State         tcpstate.State
	Local, Remote netip.AddrPort
	RecvQ, SendQ  uint32 // for LISTEN: accept-queue length and backlog
	Timer         Timer
	Expires       time.Duration // time left on Timer
	Retrans       uint8
	Orphan        bool // no process holds it (inode 0) and it is not TIME-WAIT
	Inode         uint32
	UID           uint32
	Cookie        uint64
	Info          *TCPInfo // nil for TIME-WAIT and SYN-RECV rows
}

// TCPInfo is the part of the kernel's tcp_info that teardown shows.
type TCPInfo struct {
	RTT, RTTVar   time.Duration
	Retransmits   uint32 // total retransmitted segments
	Unacked       uint32 // segments sent, not yet acknowledged
	BytesAcked    uint64
	BytesReceived uint64
	SndWnd        uint32 // peer's advertised window, bytes
	RcvWnd        uint32
}

// Filter chooses rows: a socket matches if its local or remote port is in
// Ports (all sockets when Ports is empty).
type Filter struct {
	Ports []uint16
}
