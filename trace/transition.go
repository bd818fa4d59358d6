package trace

import (
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Kind says what a Transition records.
type Kind uint8

const (
	KindInvalid   Kind = iota
	StateChange        // sock:inet_sock_set_state (or inferred TIME-WAIT)
	ResetSent          // tcp:tcp_send_reset
	ResetReceived      // tcp:tcp_receive_reset
	Destroyed          // tcp:tcp_destroy_sock
)

func (k Kind) String() string {
	switch k {
	case StateChange:
		return "state"
	case ResetSent:
		return "reset-sent"
	case ResetReceived:
		return "reset-received"
	case Destroyed:
		return "destroyed"
	}
	return "invalid"
}

// Transition is one event from the kernel about a socket on a traced port.
type Transition struct {
	Time          time.Time // converted to CLOCK_REALTIME, comparable with capture.Segment.Time
	Kind          Kind
	Local, Remote netip.AddrPort
	From, To      tcpstate.State // for StateChange
	Inferred      bool           // true for TIME-WAIT: no tracepoint reports entering it
	Skaddr        uint64         // the kernel's socket address, to attribute resets to a socket
}
