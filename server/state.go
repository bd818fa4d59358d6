package server

import "fmt"

// ConnState is the phase of a connection, reported to Server.ConnState.
type ConnState int

// The phases of a connection, in order.
const (
	StateInvalid   ConnState = iota
	StateNew                 // accepted, the handler has not started
	StateActive              // the handler runs
	StateLingering           // our FIN is out; waiting for the peer's, discarding its input
	StateClosed              // the descriptor is closed
)

var stateNames = [...]string{"invalid", "new", "active", "lingering", "closed"}

// String returns the state's name, e.g. "lingering".
func (st ConnState) String() string {
	if st >= 0 && int(st) < len(stateNames) {
		return stateNames[st]
	}
	return fmt.Sprintf("ConnState(%d)", int(st))
}
