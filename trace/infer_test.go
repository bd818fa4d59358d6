package trace_test

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

var (
	cli  = netip.MustParseAddrPort("127.0.0.1:42022")
	srv  = netip.MustParseAddrPort("127.0.0.1:9527")
	t0   = time.Unix(1700000000, 0)
	none = []string{}
)

// addrEq lets cmp compare addresses (netip types have unexported fields).
var addrEq = cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })

// at returns t0 plus ms milliseconds.
func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func st(ms int, local, remote netip.AddrPort, from, to tcpstate.State) trace.Transition {
	return trace.Transition{Time: at(ms), Kind: trace.StateChange, Local: local, Remote: remote, From: from, To: to}
}

func rst(ms int, k trace.Kind, local, remote netip.AddrPort) trace.Transition {
	return trace.Transition{Time: at(ms), Kind: k, Local: local, Remote: remote}
}

const (
	est = tcpstate.Established
	fw1 = tcpstate.FinWait1
	fw2 = tcpstate.FinWait2
	cw  = tcpstate.CloseWait
	la  = tcpstate.LastAck
	cl  = tcpstate.Close
	clg = tcpstate.Closing
	tw  = tcpstate.TimeWait
)

// inferred runs seq through an Inferrer and describes the inferred
// transitions only, as "local FROM→TO @ms".
func inferred(finTimeout time.Duration, seq []trace.Transition, fins ...trace.Transition) []string {
	in := trace.NewInferrer()
	in.FinTimeout = finTimeout
	out := []string{}
	for _, t := range seq {
		out = appendInferred(out, in.Feed(t))
	}
	for _, f := range fins {
		out = appendInferred(out, in.FINReceived(f.Local, f.Remote, f.Time))
	}
	return out
}

func appendInferred(out []string, ts []trace.Transition) []string {
	for _, t := range ts {
		if t.Inferred {
			ms := t.Time.Sub(t0).Milliseconds()
			out = append(out, t.Local.String()+" "+t.From.String()+"→"+t.To.String()+" @"+strconv.FormatInt(ms, 10))
		}
	}
	return out
}

func TestInferTimeWait(t *testing.T) {
	// The client is the active closer in every case.
	activeStart := []trace.Transition{
		st(0, cli, srv, est, fw1),
		st(0, srv, cli, est, cw),
	}
	tests := []struct {
		name string
		fin  time.Duration // tcp_fin_timeout; 0 = default
		seq  []trace.Transition
		fins []trace.Transition // FINReceived evidence fed after seq
		want []string
	}{{
		name: "shutdown(WR) then peer closes: TIME-WAIT when the peer's FIN arrives",
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(300, srv, cli, cw, la),
			st(300, cli, srv, fw2, cl),
			st(300, srv, cli, la, cl)),
		want: []string{"127.0.0.1:42022 FIN-WAIT-2→TIME-WAIT @300"},
	}, {
		name: "close() then peer closes later: mini-socket in FIN-WAIT-2 until the FIN",
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl), // orphan: timewait mini-socket, substate FIN-WAIT-2
			st(300, srv, cli, cw, la),
			st(300, srv, cli, la, cl)),
		want: []string{"127.0.0.1:42022 FIN-WAIT-2→TIME-WAIT @300"},
	}, {
		name: "close(), peer closes within tcp_fin_timeout=2s: TIME-WAIT",
		fin:  2 * time.Second,
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
			st(1040, srv, cli, cw, la),
			st(1041, srv, cli, la, cl)),
		want: []string{"127.0.0.1:42022 FIN-WAIT-2→TIME-WAIT @1041"},
	}, {
		name: "close(), peer closes after tcp_fin_timeout=2s: the FIN meets no socket",
		fin:  2 * time.Second,
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
			st(3540, srv, cli, cw, la),
			rst(3540, trace.ResetSent, cli, srv),
			rst(3540, trace.ResetReceived, srv, cli),
			st(3540, srv, cli, la, cl)),
		want: none,
	}, {
		name: "close(): the peer's LAST-ACK alone does not show the FIN arrived",
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
			st(300, srv, cli, cw, la)),
		want: none,
	}, {
		name: "close(), default tcp_fin_timeout: a FIN after 59 s still starts TIME-WAIT",
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
			st(59040, srv, cli, cw, la),
			st(59040, srv, cli, la, cl)),
		want: []string{"127.0.0.1:42022 FIN-WAIT-2→TIME-WAIT @59040"},
	}, {
		name: "close() and the peer never closes: no TIME-WAIT",
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl)),
		want: none,
	}, {
		name: "close() then the peer sends data: the mini-socket resets, no TIME-WAIT",
		seq: append(activeStart[:2:2],
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
			rst(100, trace.ResetSent, cli, srv),
			rst(100, trace.ResetReceived, srv, cli),
			st(100, srv, cli, cw, cl)),
		want: none,
	}, {
		name: "simultaneous close: CLOSING → CLOSE is TIME-WAIT on both sides",
		seq: []trace.Transition{
			st(0, cli, srv, est, fw1),
			st(0, srv, cli, est, fw1),
			st(1, cli, srv, fw1, clg),
			st(1, srv, cli, fw1, clg),
			st(2, cli, srv, clg, cl),
			st(2, srv, cli, clg, cl),
		},
		want: []string{
			"127.0.0.1:42022 CLOSING→TIME-WAIT @2",
			"127.0.0.1:9527 CLOSING→TIME-WAIT @2",
		},
	}, {
		name: "reset in CLOSING: no TIME-WAIT",
		seq: []trace.Transition{
			st(0, cli, srv, est, fw1),
			st(1, cli, srv, fw1, clg),
			rst(2, trace.ResetReceived, cli, srv),
			st(2, cli, srv, clg, cl),
		},
		want: none,
	}, {
		name: "abortive close: no TIME-WAIT",
		seq: []trace.Transition{
			st(0, cli, srv, est, cl),
			rst(0, trace.ResetReceived, srv, cli),
			st(0, srv, cli, est, cl),
			rst(0, trace.ResetSent, cli, srv),
		},
		want: none,
	}, {
		name: "untraced peer: a captured FIN resolves the mini-socket at its time",
		seq: []trace.Transition{
			st(0, cli, srv, est, fw1),
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
		},
		fins: []trace.Transition{rst(500, trace.StateChange, cli, srv)},
		want: []string{"127.0.0.1:42022 FIN-WAIT-2→TIME-WAIT @500"},
	}, {
		name: "evidence that lags the trace keeps the trace's time",
		seq: []trace.Transition{
			st(0, cli, srv, est, fw1),
			st(40, cli, srv, fw1, fw2),
			st(40, cli, srv, fw2, cl),
		},
		fins: []trace.Transition{rst(39, trace.StateChange, cli, srv)},
		want: []string{"127.0.0.1:42022 FIN-WAIT-2→TIME-WAIT @40"},
	}, {
		name: "a new connection on the same 4-tuple forgets the old FIN",
		seq: []trace.Transition{
			st(0, srv, cli, cw, la),
			st(1, cli, srv, tcpstate.SynSent, est), // (port already known)
			st(2, cli, srv, tcpstate.Close, tcpstate.SynSent),
			st(3, cli, srv, est, fw1),
			st(4, cli, srv, fw1, fw2),
			st(4, cli, srv, fw2, cl),
		},
		want: none,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := inferred(tc.fin, tc.seq, tc.fins...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("inferred transitions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInferOrder(t *testing.T) {
	// The inferred TIME-WAIT follows the kernel's FIN-WAIT-2 → CLOSE: the full
	// socket closes, the connection lives on in a timewait mini-socket.
	in := trace.NewInferrer()
	in.Feed(st(0, srv, cli, cw, la))
	got := in.Feed(st(1, cli, srv, fw2, cl))
	want := []trace.Transition{
		st(1, cli, srv, fw2, cl),
		{Time: at(1), Kind: trace.StateChange, Local: cli, Remote: srv, From: fw2, To: tw, Inferred: true},
	}
	if diff := cmp.Diff(want, got, addrEq); diff != "" {
		t.Errorf("Feed (-want +got):\n%s", diff)
	}
}

func TestSynSentPort(t *testing.T) {
	portless := netip.AddrPortFrom(cli.Addr(), 0)
	tests := []struct {
		name  string
		feed  []trace.Transition
		flush time.Time
		want  []trace.Transition
	}{{
		name: "held until the socket's next event brings the port",
		feed: []trace.Transition{
			st(0, portless, srv, cl, tcpstate.SynSent),
			st(1, cli, srv, tcpstate.SynSent, est),
		},
		want: []trace.Transition{
			st(0, cli, srv, cl, tcpstate.SynSent),
			st(1, cli, srv, tcpstate.SynSent, est),
		},
	}, {
		name: "a silent socket is released by Flush, still without a port",
		feed: []trace.Transition{
			st(0, portless, srv, cl, tcpstate.SynSent),
			st(1, srv, cli, est, cw),
		},
		flush: at(1000),
		want: []trace.Transition{
			st(1, srv, cli, est, cw),
			st(0, portless, srv, cl, tcpstate.SynSent),
		},
	}, {
		name: "Flush keeps what is younger than the cutoff",
		feed: []trace.Transition{
			st(0, portless, srv, cl, tcpstate.SynSent),
		},
		flush: at(0),
		want:  []trace.Transition{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := trace.NewInferrer()
			got := []trace.Transition{}
			for _, tr := range tc.feed {
				got = append(got, in.Feed(tr)...)
			}
			got = append(got, in.Flush(tc.flush)...)
			if diff := cmp.Diff(tc.want, got, addrEq); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
		})
	}
}
