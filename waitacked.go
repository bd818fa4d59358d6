package teardown

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// The polling interval of WaitAcked starts short, because on loopback or a
// LAN the last ACK is usually microseconds away, and doubles up to a cap so
// that a slow peer costs a few wake-ups per second, not a spinning core.
const (
	ackPollMin = 50 * time.Microsecond
	ackPollMax = 10 * time.Millisecond
)

// WaitAcked returns when the peer's kernel has acknowledged every byte
// written to c, that is when SIOCOUTQ reaches 0 (claim C22), or with
// ctx.Err() when ctx ends first. After CloseWrite the count includes our
// FIN, so a nil return then also proves the FIN arrived.
//
// An acknowledgement proves the bytes reached the peer's kernel, not that its
// application read them. A peer that does not read keeps its window shut and
// the bytes stay unsent on our side (SIOCOUTQNSD), so WaitAcked waits for the
// reader, bounded only by ctx. If the connection dies first (an RST from the
// peer, or retransmissions giving up), the kernel drops the queued bytes but
// SIOCOUTQ, computed from sequence numbers, keeps counting them; WaitAcked
// sees the CLOSE state and returns an error wrapping ErrUnacked.
func WaitAcked(ctx context.Context, c net.Conn) error {
	tc, err := tcpConn(c)
	if err != nil {
		return fmt.Errorf("teardown: wait acked: %w", err)
	}
	t := time.NewTimer(time.Hour) // armed for real by sleep; since Go 1.23 Reset needs no drain
	defer t.Stop()
	for wait := ackPollMin; ; wait = min(2*wait, ackPollMax) {
		n, st, err := sendState(tc)
		switch {
		case err != nil:
			return fmt.Errorf("teardown: wait acked: %w", err)
		case n == 0:
			return nil
		case st == tcpstate.Close:
			return fmt.Errorf("teardown: wait acked: connection is CLOSE: %w (%d B)", ErrUnacked, n)
		}
		if err := sleep(ctx, t, wait); err != nil {
			return err
		}
	}
}

// sleep waits d on t, or returns ctx.Err() when ctx ends first.
func sleep(ctx context.Context, t *time.Timer, d time.Duration) error {
	t.Reset(d)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
