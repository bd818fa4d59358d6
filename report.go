package teardown

import (
	"fmt"
	"time"
)

// Outcome says how a Graceful close ended.
type Outcome int

// The ways Graceful ends. The zero value is invalid so that an unset Outcome
// is noticed.
const (
	OutcomeInvalid        Outcome = iota
	OutcomePeerClosed             // the peer's FIN was read: every byte it sent was seen, the close is clean
	OutcomeIdleTimeout            // the peer was silent longer than Options.IdleTimeout
	OutcomeLingerTimeout          // Options.LingerTime passed while the peer still sent
	OutcomeBudgetExceeded         // the peer sent more than Options.MaxDrain after our FIN
	OutcomePeerReset              // the peer answered with RST
	OutcomeCanceled               // ctx ended the wait
	OutcomeFailed                 // another error (see the returned error)
)

var outcomeNames = [...]string{
	OutcomeInvalid:        "invalid",
	OutcomePeerClosed:     "peer-closed",
	OutcomeIdleTimeout:    "idle-timeout",
	OutcomeLingerTimeout:  "linger-timeout",
	OutcomeBudgetExceeded: "budget",
	OutcomePeerReset:      "peer-reset",
	OutcomeCanceled:       "canceled",
	OutcomeFailed:         "error",
}

// String returns the outcome's short name, e.g. "peer-closed".
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// boundHit reports whether o means a bound of Options (or ctx) ended the
// wait, which is when Options.OnTimeout decides between close and abort.
func (o Outcome) boundHit() bool {
	switch o {
	case OutcomeIdleTimeout, OutcomeLingerTimeout, OutcomeBudgetExceeded, OutcomeCanceled:
		return true
	}
	return false
}

// Report tells what a Graceful close did.
//
// Unacked and Unsent come from SIOCOUTQ and SIOCOUTQNSD, which Linux computes
// from sequence numbers. Two consequences, both measured: our FIN occupies a
// sequence number, so Unacked is 1 while only the FIN awaits its ACK (the
// peer may delay that ACK by ~40 ms when it has unread data); and after a
// reset the kernel drops the queue but the counts stay, so Unsent+Unacked is
// then the number of bytes the peer will never receive.
type Report struct {
	Outcome  Outcome
	Drained  int64         // bytes read and discarded (or sent to Sink) after our FIN
	Unacked  int           // SIOCOUTQ - SIOCOUTQNSD just before close: sent, not acknowledged
	Unsent   int           // SIOCOUTQNSD just before close: never sent
	Aborted  bool          // closed with RST (by policy, or because unread input made the kernel send one)
	Duration time.Duration // from the call to the close
}

// String returns one line, e.g.
// "peer-closed after 1.2ms: drained 0 B, unacked 0 B, unsent 0 B".
func (r Report) String() string {
	s := fmt.Sprintf("%s after %s: drained %d B, unacked %d B, unsent %d B",
		r.Outcome, roundDuration(r.Duration), r.Drained, r.Unacked, r.Unsent)
	if r.Aborted {
		s += ", aborted [R]"
	}
	return s
}

// roundDuration keeps two or three significant digits, enough for a person.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Millisecond)
}
