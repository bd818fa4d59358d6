package tcpstate_test

import (
	"encoding/json"
	"testing"

	"github.com/tcpteardown/teardown/tcpstate"
)

func TestKernelNumbering(t *testing.T) {
	// Values from include/net/tcp_states.h; the sock_diag and tracepoint
	// decoders rely on them.
	tests := []struct {
		s    tcpstate.State
		num  uint8
		ss   string
		kern string
	}{
		{tcpstate.Established, 1, "ESTABLISHED", "TCP_ESTABLISHED"},
		{tcpstate.SynSent, 2, "SYN-SENT", "TCP_SYN_SENT"},
		{tcpstate.SynRecv, 3, "SYN-RECV", "TCP_SYN_RECV"},
		{tcpstate.FinWait1, 4, "FIN-WAIT-1", "TCP_FIN_WAIT1"},
		{tcpstate.FinWait2, 5, "FIN-WAIT-2", "TCP_FIN_WAIT2"},
		{tcpstate.TimeWait, 6, "TIME-WAIT", "TCP_TIME_WAIT"},
		{tcpstate.Close, 7, "CLOSE", "TCP_CLOSE"},
		{tcpstate.CloseWait, 8, "CLOSE-WAIT", "TCP_CLOSE_WAIT"},
		{tcpstate.LastAck, 9, "LAST-ACK", "TCP_LAST_ACK"},
		{tcpstate.Listen, 10, "LISTEN", "TCP_LISTEN"},
		{tcpstate.Closing, 11, "CLOSING", "TCP_CLOSING"},
		{tcpstate.NewSynRecv, 12, "NEW-SYN-RECV", "TCP_NEW_SYN_RECV"},
		{tcpstate.BoundInactive, 13, "BOUND-INACTIVE", "TCP_BOUND_INACTIVE"},
	}
	for _, tt := range tests {
		t.Run(tt.ss, func(t *testing.T) {
			if uint8(tt.s) != tt.num {
				t.Errorf("%v = %d, want %d", tt.s, uint8(tt.s), tt.num)
			}
			if got := tt.s.String(); got != tt.ss {
				t.Errorf("String() = %q, want %q", got, tt.ss)
			}
			if got := tt.s.KernelName(); got != tt.kern {
				t.Errorf("KernelName() = %q, want %q", got, tt.kern)
			}
			for _, in := range []string{tt.ss, tt.kern} {
				if got, err := tcpstate.Parse(in); err != nil || got != tt.s {
					t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, tt.s)
				}
			}
		})
	}
}

func TestInvalidZero(t *testing.T) {
	var s tcpstate.State
	if s.Valid() || s != tcpstate.Invalid {
		t.Fatalf("zero State = %v, want Invalid and not Valid", s)
	}
	for _, bad := range []string{"FIN-WAIT-3", "6abc", "0", "14", "-1", ""} {
		if s, err := tcpstate.Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, s)
		}
	}
	if got, _ := tcpstate.Parse("ESTAB"); got != tcpstate.Established {
		t.Fatalf("Parse(ESTAB) = %v", got)
	}
}

func TestPredicates(t *testing.T) {
	for _, s := range tcpstate.States() {
		if s.ActiveClose() && s.PassiveClose() {
			t.Errorf("%v is both an active- and a passive-close state", s)
		}
		if s.MaySend() && !s.Synchronized() {
			t.Errorf("%v may send but is not synchronized", s)
		}
	}
	if !tcpstate.TimeWait.ActiveClose() || !tcpstate.CloseWait.PassiveClose() {
		t.Error("TIME-WAIT must be active-close, CLOSE-WAIT passive-close")
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(map[string]tcpstate.State{"s": tcpstate.CloseWait})
	if err != nil || string(b) != `{"s":"CLOSE-WAIT"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back map[string]tcpstate.State
	if err := json.Unmarshal(b, &back); err != nil || back["s"] != tcpstate.CloseWait {
		t.Fatalf("Unmarshal = %v, %v", back, err)
	}
}

// FuzzParse: Parse never panics, and whatever it accepts is a valid state
// whose ss and kernel names parse back to it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"TIME-WAIT", "TCP_FIN_WAIT2", "ESTAB", "UNCONN", "6", "0", "255", " close-wait ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := tcpstate.Parse(in)
		if err != nil {
			return
		}
		if !s.Valid() {
			t.Fatalf("Parse(%q) = %v without error, but it is not a valid state", in, s)
		}
		for _, name := range []string{s.String(), s.KernelName()} {
			if back, err := tcpstate.Parse(name); err != nil || back != s {
				t.Fatalf("Parse(%q) = %v, %v; want %v", name, back, err, s)
			}
		}
	})
}
