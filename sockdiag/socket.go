package sockdiag

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Timer is the timer a socket has pending, as `ss -o` shows it. The values
// are the kernel's idiag_timer codes.
type Timer uint8

const (
	TimerNone      Timer = iota
	TimerOn              // retransmission (also the SYN-ACK timer of SYN-RECV)
	TimerKeepalive       // keepalive (also FIN-WAIT-2 orphan timeout)
	TimerTimeWait        // TIME-WAIT expiry (also a FIN-WAIT-2 mini-socket's)
	TimerProbe           // zero-window probe
)

var timerNames = [...]string{"", "on", "keepalive", "timewait", "persist"}

func (t Timer) String() string {
	if int(t) < len(timerNames) {
		return timerNames[t]
	}
	return fmt.Sprintf("timer(%d)", uint8(t))
}

// MarshalText encodes the ss name ("timewait"), so JSON reads like ss.
func (t Timer) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Shutdown is which directions of a full socket have been shut down
// (the kernel's sk_shutdown: bit 0 receive, bit 1 send). A FIN received sets
// ShutRD, our own shutdown(SHUT_WR) or close sets ShutWR.
type Shutdown uint8

const (
	ShutRD Shutdown = 1 << iota // nothing more will be read: FIN received or SHUT_RD
	ShutWR                      // nothing more may be sent: our FIN is queued
)

// String shows the two directions as ss does: "<->" both open, "-->" we may
// only send, "<--" we may only receive, "---" both shut.
func (s Shutdown) String() string {
	in, out := byte('<'), byte('>')
	if s&ShutRD != 0 {
		in = '-'
	}
	if s&ShutWR != 0 {
		out = '-'
	}
	return string([]byte{in, '-', out})
}

// Socket is one row of the socket table, like a line of `ss -tanoie`.
type Socket struct {
	State         tcpstate.State // as the kernel reports it (see the package doc about mini-sockets)
	Local, Remote netip.AddrPort
	RecvQ, SendQ  uint32 // for LISTEN: accept-queue length and backlog
	Timer         Timer
	Expires       time.Duration // time left on Timer
	Retrans       uint8         // retransmissions (or keepalive probes) of the pending timer
	// Orphan: closed by its application (inode 0) while the kernel still
	// finishes it: FIN-WAIT-1, FIN-WAIT-2, CLOSING or LAST-ACK. Inode 0 in
	// ESTABLISHED or CLOSE-WAIT is a connection not yet accepted.
	Orphan   bool
	Inode    uint32
	UID      uint32
	Cookie   uint64
	Shutdown Shutdown // full sockets only; zero for TIME-WAIT and SYN-RECV rows
	Info     *TCPInfo // nil for TIME-WAIT and SYN-RECV rows
}

// TCPInfo is the part of the kernel's tcp_info that teardown shows. Fields an
// older kernel does not send stay zero.
type TCPInfo struct {
	RTT, RTTVar   time.Duration
	RTO           time.Duration // current retransmission timeout
	Retransmits   uint32        // total retransmitted segments
	Unacked       uint32        // segments sent, not yet acknowledged
	Lost          uint32        // segments the sender believes lost
	BytesAcked    uint64
	BytesReceived uint64
	NotSent       uint32 // bytes in the send queue not yet sent at all
	SndWnd        uint32 // peer's advertised window, bytes
	RcvWnd        uint32 // our advertised window, bytes
}

// Filter chooses rows: a socket matches if its local or remote port is in
// Ports (all sockets when Ports is empty) and its state is in States (all
// states when States is empty).
type Filter struct {
	Ports []uint16
	// NetNS is a descriptor of a network namespace (e.g. netns.NS.Handle());
	// 0 lists the caller's own namespace. A netlink socket only ever sees
	// the namespace it was created in, so this is the only way to look
	// inside another one.
	NetNS  int
	States []tcpstate.State
}
