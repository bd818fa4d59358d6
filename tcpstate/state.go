package tcpstate

import (
	"fmt"
	"strconv"
	"strings"
)

// State is a TCP state numbered as in Linux's tcp_states.h. The zero value is
// Invalid, so a State that was never set is noticed.
type State uint8

// The states, in the kernel's order (TCP_ESTABLISHED = 1 … TCP_BOUND_INACTIVE).
const (
	Invalid State = iota
	Established
	SynSent
	SynRecv
	FinWait1
	FinWait2
	TimeWait
	Close
	CloseWait
	LastAck
	Listen
	Closing
	NewSynRecv
	BoundInactive
	numStates
)

// names in ss(8) spelling; ss abbreviates ESTABLISHED to ESTAB and CLOSE to
// UNCONN, we keep the full words so that the kernel's names read through.
var names = [numStates]string{
	Invalid:       "INVALID",
	Established:   "ESTABLISHED",
	SynSent:       "SYN-SENT",
	SynRecv:       "SYN-RECV",
	FinWait1:      "FIN-WAIT-1",
	FinWait2:      "FIN-WAIT-2",
	TimeWait:      "TIME-WAIT",
	Close:         "CLOSE",
	CloseWait:     "CLOSE-WAIT",
	LastAck:       "LAST-ACK",
	Listen:        "LISTEN",
	Closing:       "CLOSING",
	NewSynRecv:    "NEW-SYN-RECV",
	BoundInactive: "BOUND-INACTIVE",
}

// String returns the ss-style name, e.g. "TIME-WAIT".
func (s State) String() string {
	if s < numStates {
		return names[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// KernelName returns the name the kernel's tracepoints print, e.g. "TCP_TIME_WAIT".
func (s State) KernelName() string {
	switch s {
	case Invalid:
		return "TCP_INVALID"
	case FinWait1:
		return "TCP_FIN_WAIT1"
	case FinWait2:
		return "TCP_FIN_WAIT2"
	}
	if s >= numStates {
		return s.String()
	}
	return "TCP_" + strings.ReplaceAll(names[s], "-", "_")
}

// Valid reports whether s is one of the kernel's states.
func (s State) Valid() bool { return s > Invalid && s < numStates }

// Parse accepts the ss name ("TIME-WAIT", also ss's "ESTAB" and "UNCONN"), the
// kernel name ("TCP_TIME_WAIT") or a state number in tcp_states.h order.
func Parse(name string) (State, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch n {
	case "ESTAB":
		return Established, nil
	case "UNCONN":
		return Close, nil
	}
	for s := Established; s < numStates; s++ {
		if n == names[s] || n == s.KernelName() {
			return s, nil
		}
	}
	if num, err := strconv.ParseUint(n, 10, 8); err == nil && State(num).Valid() {
		return State(num), nil
	}
	return Invalid, fmt.Errorf("tcpstate: unknown state %q", name)
}

// Synchronized reports whether the handshake is complete and the connection
// has not been torn down: data may still flow in at least one direction.
func (s State) Synchronized() bool {
	switch s {
	case Established, FinWait1, FinWait2, CloseWait, Closing, LastAck:
		return true
	}
	return false
}

// Closing reports whether a FIN has been sent or received: the connection is
// on its way down.
func (s State) Closing() bool {
	switch s {
	case FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait:
		return true
	}
	return false
}

// ActiveClose reports whether s is a state only the side that sent the first
// FIN passes through.
func (s State) ActiveClose() bool {
	switch s {
	case FinWait1, FinWait2, Closing, TimeWait:
		return true
	}
	return false
}

// PassiveClose reports whether s is a state of the side that received the
// first FIN.
func (s State) PassiveClose() bool { return s == CloseWait || s == LastAck }

// MaySend reports whether our side may still send data (we have not sent FIN).
func (s State) MaySend() bool { return s == Established || s == CloseWait }

// MayReceive reports whether the peer may still send data (no FIN received).
func (s State) MayReceive() bool {
	return s == Established || s == FinWait1 || s == FinWait2
}

// States returns every valid state in kernel order.
func States() []State {
	out := make([]State, 0, numStates-1)
	for s := Established; s < numStates; s++ {
		out = append(out, s)
	}
	return out
}

// MarshalText encodes the ss-style name, so JSON shows "TIME-WAIT".
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts whatever Parse accepts.
func (s *State) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
