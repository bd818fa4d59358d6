//go:build !linux

package teardown

import (
	"fmt"

	"github.com/tcpteardown/teardown/tcpstate"
)

// The queue ioctls and TCP_INFO layout used here are Linux's.

func info(c rawConn, i *ConnInfo) error { return fmt.Errorf("TCP_INFO: %w", ErrNotSupported) }

func readQueues(c rawConn) (queues, error) {
	return queues{}, fmt.Errorf("SIOCOUTQ: %w", ErrNotSupported)
}

func readable(c rawConn) (int, error) { return 0, fmt.Errorf("SIOCINQ: %w", ErrNotSupported) }

func sendState(c rawConn) (int, tcpstate.State, error) {
	return 0, tcpstate.Invalid, fmt.Errorf("SIOCOUTQ: %w", ErrNotSupported)
}
