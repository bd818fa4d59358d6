package teardown

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// ConnInfo is a snapshot of one connection as the kernel sees it: TCP_INFO
// and the queue ioctls SIOCOUTQ, SIOCOUTQNSD and SIOCINQ.
type ConnInfo struct {
	State       tcpstate.State
	Unacked     int // bytes sent, not acked (SIOCOUTQ - SIOCOUTQNSD)
	Unsent      int // bytes queued, not sent (SIOCOUTQNSD)
	Readable    int // bytes received, not read by us (SIOCINQ)
	RTT, RTTVar time.Duration
	Retransmits uint32 // total retransmitted segments (tcpi_total_retrans)
	Local       net.Addr
	Remote      net.Addr
}

// String returns one line in ss style, e.g.
// "ESTABLISHED unacked 0 unsent 0 readable 5 rtt 0.05ms retrans 0".
func (i ConnInfo) String() string {
	return fmt.Sprintf("%s unacked %d unsent %d readable %d rtt %sms retrans %d",
		i.State, i.Unacked, i.Unsent, i.Readable, millis(i.RTT), i.Retransmits)
}

// millis prints d in milliseconds with microsecond precision, as ss does.
func millis(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64)
}

// Info returns the kernel's view of c: its TCP state (ESTABLISHED,
// CLOSE-WAIT after the peer's FIN, FIN-WAIT-2 after ours is acknowledged …),
// its queues and its round-trip estimate. c may be a *net.TCPConn or a
// wrapper such as *tls.Conn (the TCP socket underneath is inspected).
func Info(c net.Conn) (ConnInfo, error) {
	tc, err := tcpConn(c)
	if err != nil {
		return ConnInfo{}, fmt.Errorf("teardown: info: %w", err)
	}
	i := ConnInfo{Local: tc.LocalAddr(), Remote: tc.RemoteAddr()}
	if err := info(tc, &i); err != nil {
		return ConnInfo{}, fmt.Errorf("teardown: info: %w", err)
	}
	return i, nil
}

// queues is the send queue split the way SIOCOUTQ and SIOCOUTQNSD see it.
type queues struct{ unacked, unsent int }

// sendQueues reads the send queue of the TCP socket under c.
func sendQueues(c net.Conn) (queues, error) {
	tc, err := tcpConn(c)
	if err != nil {
		return queues{}, err
	}
	return readQueues(tc)
}

// rawConn is the part of *net.TCPConn the per-OS helpers need.
type rawConn interface {
	SyscallConn() (syscall.RawConn, error)
}
