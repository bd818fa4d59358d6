package teardown_test

import (
	"testing"
	"time"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/tcpstate"
)

func TestStrings(t *testing.T) {
	tests := []struct {
		name string
		got  interface{ String() string }
		want string
	}{
		{"how rd", teardown.ShutRead, "rd"},
		{"how wr", teardown.ShutWrite, "wr"},
		{"how rdwr", teardown.ShutBoth, "rdwr"},
		{"how invalid", teardown.How(0), "How(0)"},
		{"outcome peer-closed", teardown.OutcomePeerClosed, "peer-closed"},
		{"outcome idle", teardown.OutcomeIdleTimeout, "idle-timeout"},
		{"outcome linger", teardown.OutcomeLingerTimeout, "linger-timeout"},
		{"outcome budget", teardown.OutcomeBudgetExceeded, "budget"},
		{"outcome reset", teardown.OutcomePeerReset, "peer-reset"},
		{"outcome canceled", teardown.OutcomeCanceled, "canceled"},
		{"outcome failed", teardown.OutcomeFailed, "error"},
		{"outcome out of range", teardown.Outcome(42), "Outcome(42)"},
		{"report clean", teardown.Report{Outcome: teardown.OutcomePeerClosed, Duration: 1234567 * time.Nanosecond},
			"peer-closed after 1.2ms: drained 0 B, unacked 0 B, unsent 0 B"},
		{"report aborted", teardown.Report{Outcome: teardown.OutcomeBudgetExceeded, Drained: 65537, Unsent: 4096, Aborted: true, Duration: 3 * time.Microsecond},
			"budget after 3µs: drained 65537 B, unacked 0 B, unsent 4096 B, aborted [R]"},
		{"info", teardown.ConnInfo{State: tcpstate.Established, Readable: 5, RTT: 50 * time.Microsecond},
			"ESTABLISHED unacked 0 unsent 0 readable 5 rtt 0.05ms retrans 0"},
		{"info close-wait", teardown.ConnInfo{State: tcpstate.CloseWait, Unacked: 3, Unsent: 7, RTT: 1500 * time.Microsecond, Retransmits: 2},
			"CLOSE-WAIT unacked 3 unsent 7 readable 0 rtt 1.5ms retrans 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
