package explain_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/explain"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/record"
	rt "github.com/tcpteardown/teardown/record/recordtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	C = record.Client
	S = record.Server
)

func conv() *rt.Conv { return rt.New("10.0.0.1:40000", "10.0.0.2:80") }

// diagnose runs the segments through a Builder and diagnoses the only
// connection.
func diagnose(t *testing.T, segs []capture.Segment) explain.Diagnosis {
	t.Helper()
	var ds []explain.Diagnosis
	b := &record.Builder{Done: func(c *record.Conn) { ds = append(ds, explain.Diagnose(c)) }}
	for i := range segs {
		b.Add(&segs[i])
	}
	b.Flush()
	if len(ds) != 1 {
		t.Fatalf("%d connections, want 1", len(ds))
	}
	return ds[0]
}

// TestEndings builds, for every ending and flag of the vocabulary, the
// packets that make it, and checks the diagnosis.
func TestEndings(t *testing.T) {
	for _, tt := range endingCases() {
		t.Run(tt.name, func(t *testing.T) {
			d := diagnose(t, tt.conv.Segs)
			got := struct {
				Ending string
				Flags  []string
				Closer int
				Lost   [2]int64
			}{d.Ending, d.Flags, d.Closer, d.Lost}
			want := got
			want.Ending, want.Flags, want.Closer, want.Lost = tt.ending, tt.flags, tt.closer, tt.lost
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diagnosis (-want +got):\n%s", diff)
			}
			if d.Why("en") == "" || d.Why("zh") == "" {
				t.Errorf("no explanation")
			}
		})
	}
}

type endingCase struct {
	name   string
	conv   *rt.Conv
	ending string
	flags  []string
	closer int
	lost   [2]int64
}

func endingCases() []endingCase {
	rto := func(c *rt.Conv) *rt.Conv { return c.Gap(250 * time.Millisecond) }
	return []endingCase{
		{"clean", conv().Handshake().Data(0, "req").Data(1, "resp").Fin(1).Fin(0).Ack(1),
			explain.Clean, []string{explain.FlagTimeWaitServer}, S, [2]int64{}},
		{"half-close (experiment B)", conv().Handshake().Data(0, "aaa").Fin(0).Ack(1).Data(1, "Hi, aaa").Ack(0).Fin(1).Ack(0),
			explain.HalfClose, []string{explain.FlagTimeWaitClient}, C, [2]int64{}},
		{"simultaneous", conv().Handshake().Fin(0).Seg(1, capture.FIN|capture.ACK, 500001, 1001, "", 512).
			Seg(0, capture.ACK, 1002, 500002, "", 512).Seg(1, capture.ACK, 500002, 1002, "", 512),
			explain.Simultaneous, []string{explain.FlagTimeWaitClient, explain.FlagTimeWaitServer}, C, [2]int64{}},
		{"abort (SO_LINGER 0)", conv().Handshake().Data(0, "req").Ack(1).Rst(0),
			explain.Abort, nil, C, [2]int64{}},
		{"abort with a response in flight (pipelined)", conv().Handshake().Data(0, "req1req2").Data(1, "resp").Rst(1),
			explain.Abort, []string{explain.FlagDataLost, explain.FlagResponseAtRisk}, S, [2]int64{0, 4}},
		{"reset-after-close (experiment A)", conv().Handshake().Data(0, "aaa").Ack(1).Fin(0).Ack(1).Data(1, "Hi, aaa").Rst(0),
			explain.ResetAfterClose, []string{explain.FlagDataLost}, C, [2]int64{0, 7}},
		{"refused", conv().Send(0, capture.SYN, "").Send(1, capture.RST|capture.ACK, ""),
			explain.Refused, nil, S, [2]int64{}},
		{"refused after a retransmitted SYN", rto(conv().Send(0, capture.SYN, "")).Resend(0).Send(1, capture.RST|capture.ACK, ""),
			explain.Refused, []string{explain.FlagSYNRetransmitted}, S, [2]int64{}},
		{"timeout: SYN never answered", rto(rto(conv().Send(0, capture.SYN, "")).Resend(0)).Resend(0),
			explain.Timeout, []string{explain.FlagSYNRetransmitted}, -1, [2]int64{}},
		{"timeout: data then RST", rto(rto(conv().Handshake().Data(1, "resp")).Resend(3)).Resend(3).Rst(1),
			explain.Timeout, []string{explain.FlagDataLost, explain.FlagResponseAtRisk}, S, [2]int64{0, 4}},
		{"open: CLOSE-WAIT", conv().Handshake().Fin(0).Ack(1),
			explain.Open, nil, C, [2]int64{}},
		{"fin retransmitted", rto(conv().Handshake().Fin(0)).Resend(3).Ack(1).Fin(1).Ack(0),
			explain.Clean, []string{explain.FlagFINRetransmitted, explain.FlagTimeWaitClient}, C, [2]int64{}},
		{"last ACK lost", rto(conv().Handshake().Fin(0).Fin(1).Ack(0)).Resend(4).Ack(0),
			explain.Clean, []string{explain.FlagFINRetransmitted, explain.FlagLastACKLost, explain.FlagTimeWaitClient}, C, [2]int64{}},
		{"zero window at close", conv().Handshake().Data(0, "lots").Win(1, 0).Rst(1),
			explain.Abort, []string{explain.FlagZeroWindow}, S, [2]int64{}},
		// Cases for the tshark cross-check of retransmission counting.
		{"keep-alive is not a retransmission", keepAlive(), explain.Open, nil, -1, [2]int64{}},
		{"zero-window probes", zeroProbes(), explain.Open, nil, -1, [2]int64{}},
		{"reordered is not a retransmission", reordered(), explain.Open, nil, -1, [2]int64{}},
		{"a lone RST", conv().Seg(0, capture.RST, 5, 0, "", 0),
			explain.Unknown, nil, C, [2]int64{}},
	}
}

// keepAlive: Linux probes an idle connection with no data, one below the
// next sequence number (tcp_write_wakeup → tcp_xmit_probe_skb).
func keepAlive() *rt.Conv {
	c := conv().Handshake().Data(0, "abc").Ack(1)
	s := c.Segs[len(c.Segs)-2]
	c.Gap(time.Minute).Seg(0, capture.ACK, s.Seq+2, s.Ack, "", 512).Ack(1)
	return c.Gap(time.Minute).Seg(0, capture.ACK, s.Seq+2, s.Ack, "", 512).Ack(1)
}

// zeroProbes: the server's window is closed; the client sends one byte
// at the next number, twice, then the window opens and the data follows.
func zeroProbes() *rt.Conv {
	c := conv().Handshake().Data(0, "abc").Win(1, 0)
	s := c.Segs[len(c.Segs)-2]
	next := s.Seq + 3
	c.Gap(200*time.Millisecond).Seg(0, capture.ACK, next, s.Ack, "d", 512).Win(1, 0)
	c.Gap(400*time.Millisecond).Seg(0, capture.ACK, next, s.Ack, "d", 512).Win(1, 0)
	return c.Win(1, 100).Data(0, "defg").Ack(1)
}

// reordered: two segments, then the first again 100 µs later ending below
// the highest number: Wireshark calls it out-of-order, not retransmitted.
func reordered() *rt.Conv {
	c := conv().Handshake().Data(0, "abc").Data(0, "def")
	s := c.Segs[3]
	return c.Gap(100*time.Microsecond).Seg(0, capture.ACK|capture.PSH, s.Seq, s.Ack, "ab", 512).Ack(1)
}

// TestOpenStates: the states inferred when the capture stops early.
func TestOpenStates(t *testing.T) {
	tests := []struct {
		name string
		conv *rt.Conv
		want [2]string
	}{
		{"SYN only", conv().Send(0, capture.SYN, ""), [2]string{"SYN-SENT", "LISTEN"}},
		{"SYN-ACK", conv().Send(0, capture.SYN, "").Send(1, capture.SYN|capture.ACK, ""), [2]string{"ESTABLISHED", "SYN-RECV"}},
		{"established", conv().Handshake().Data(0, "x"), [2]string{"ESTABLISHED", "ESTABLISHED"}},
		{"FIN unacknowledged", conv().Handshake().Fin(1), [2]string{"CLOSE-WAIT", "FIN-WAIT-1"}},
		{"FIN acknowledged", conv().Handshake().Fin(1).Ack(0), [2]string{"CLOSE-WAIT", "FIN-WAIT-2"}},
		{"last ACK not seen", conv().Handshake().Fin(1).Ack(0).Fin(0), [2]string{"LAST-ACK", "TIME-WAIT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diagnose(t, tt.conv.Segs)
			got := [2]string{d.State[0].String(), d.State[1].String()}
			if d.Ending != explain.Open || got != tt.want {
				t.Errorf("ending %s states %v, want open %v", d.Ending, got, tt.want)
			}
		})
	}
}
