package teardown

import (
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/tcpteardown/teardown/tcpstate"
)

// info fills i from TCP_INFO and the three queue ioctls, all read under one
// Control call so that they describe (nearly) the same instant.
func info(c rawConn, i *ConnInfo) error {
	return sys.Control(c, func(fd int) error {
		ti, err := sys.TCPInfo(fd)
		if err != nil {
			return err
		}
		i.State = tcpstate.State(ti.State)
		i.RTT = time.Duration(ti.Rtt) * time.Microsecond
		i.RTTVar = time.Duration(ti.Rttvar) * time.Microsecond
		i.Retransmits = ti.Total_retrans
		q, err := fdQueues(fd)
		i.Unacked, i.Unsent = q.unacked, q.unsent
		if err != nil {
			return err
		}
		i.Readable, err = sys.InQ(fd)
		return err
	})
}

// readQueues reads SIOCOUTQ and SIOCOUTQNSD of c.
func readQueues(c rawConn) (q queues, err error) {
	err = sys.Control(c, func(fd int) error {
		q, err = fdQueues(fd)
		return err
	})
	return q, err
}

// fdQueues splits the send queue. SIOCOUTQ counts every byte not yet
// acknowledged, SIOCOUTQNSD only those never sent; the difference is in
// flight. On loopback a slow reader shows up as unsent, not unacked: the
// receiver's zero window stops the sender before anything is in flight.
func fdQueues(fd int) (queues, error) {
	out, err := sys.OutQ(fd)
	if err != nil {
		return queues{}, err
	}
	nsd, err := sys.OutQNSD(fd)
	if err != nil {
		return queues{}, err
	}
	return queues{unacked: out - nsd, unsent: nsd}, nil
}

// sendState reads SIOCOUTQ and the TCP state of c.
func sendState(c rawConn) (n int, st tcpstate.State, err error) {
	err = sys.Control(c, func(fd int) error {
		ti, err := sys.TCPInfo(fd)
		if err != nil {
			return err
		}
		st = tcpstate.State(ti.State)
		n, err = sys.OutQ(fd)
		return err
	})
	return n, st, err
}

// readable reads SIOCINQ: bytes received that the application has not read.
func readable(c rawConn) (n int, err error) {
	err = sys.Control(c, func(fd int) error {
		n, err = sys.InQ(fd)
		return err
	})
	return n, err
}
