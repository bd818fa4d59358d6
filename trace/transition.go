package trace

import (
	"fmt"
	"net/netip"
	"strings"
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
	// Cookie is the socket cookie (the one sock_diag reports as the
	// socket's cookie), carried by reset-received and destroyed events;
	// 0 when the event has none.
	Cookie uint64
	// Reason is the kernel's reason for a reset sent (sk_rst_reason, e.g.
	// "TCP_ABORT_ON_CLOSE"); empty for the other kinds.
	Reason string
}

// String prints the transition the way `teardown capture -states` shows it,
// with ss state names and tcpdump-style addresses:
//
//	127.0.0.1.9527 ESTABLISHED → CLOSE-WAIT
//	127.0.0.1.42022 FIN-WAIT-2 → TIME-WAIT (inferred)
//	127.0.0.1.42036 reset sent to 127.0.0.1.9527 (CLOSE, TCP_STATE)
func (t Transition) String() string {
	local := FormatAddrPort(t.Local)
	switch t.Kind {
	case StateChange:
		s := local + " " + t.From.String() + " → " + t.To.String()
		if t.Inferred {
			s += " (inferred)"
		}
		return s
	case ResetSent:
		return fmt.Sprintf("%s reset sent to %s (%s, %s)", local, FormatAddrPort(t.Remote), t.From, t.Reason)
	case ResetReceived:
		return local + " reset received from " + FormatAddrPort(t.Remote)
	case Destroyed:
		return local + " destroyed"
	}
	return local + " " + t.Kind.String()
}

// FormatAddrPort writes an address and port as tcpdump does: the port
// follows the address after a dot (127.0.0.1.9527, ::1.9527).
func FormatAddrPort(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return "?"
	}
	var b strings.Builder
	b.WriteString(ap.Addr().String())
	fmt.Fprintf(&b, ".%d", ap.Port())
	return b.String()
}
