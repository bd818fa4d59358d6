package render_test

import (
	"fmt"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/tcpstate"
)

// noRoot is seed-close as an unprivileged run records it: calls only, the
// packet expectations skipped and the verdicts that need packets "not
// observed".
func noRoot() lab.Result {
	r := seedClose()
	var calls []lab.Event
	for _, e := range r.Events {
		if e.Kind == lab.KindCall || e.Kind == lab.KindNote {
			calls = append(calls, e)
		}
	}
	r.Events, r.Passed = calls, true
	r.Notes = []string{"packets and states need root: not recorded"}
	r.Expects[0].OK, r.Expects[0].Skipped = false, true
	r.Expects[1].OK, r.Expects[1].Skipped = false, true
	r.Verdicts[0].Verdict = "not observed"
	r.Verdicts[0].Observed = "needs packets: not recorded without root"
	return r
}

// failed has an expectation that did not hold and a claim that differs.
func failed() lab.Result {
	return lab.Result{
		Name: "linger-expire", Claims: []string{"C19"}, Passed: false, Duration: at(3250),
		Actors: []string{"client", "server"},
		Events: []lab.Event{
			call(1.5, "client", "setsockopt", "SO_LINGER {1, 2}", "ok", "", 0),
			call(2003.1, "client", "close", "", "EWOULDBLOCK", "", 2001.4),
			pkt(2003.2, "client", "server", "R.", 2469634, 1, 0, ""),
		},
		Expects: []lab.Expectation{
			{Line: 9, Text: "expect client close = EWOULDBLOCK", OK: true},
			{Line: 10, Text: "expect packet client > server F.", OK: false, Got: "client > server R. seq 2469634 ack 1"},
		},
		Verdicts: []lab.Verdict{{Claim: "C19", Verdict: "differs", Said: "linger expiry returns EWOULDBLOCK",
			Observed: "close() = EWOULDBLOCK after 2.0 s, then [R.]"}},
	}
}

// broken could not run at all.
func broken() lab.Result {
	return lab.Result{Name: "orphan-finwait2", Claims: []string{"C15"}, Actors: []string{"client", "server"},
		Err: "netns: unshare: operation not permitted (run as root)"}
}

// backlog has five actors: a listener and four clients, more lanes than
// 100 columns hold.
func backlog() lab.Result {
	r := lab.Result{Name: "backlog", Claims: []string{"C25"}, Passed: true, Duration: at(2600),
		Actors: []string{"server", "c1", "c2", "c3", "c4"}}
	r.Events = append(r.Events, call(0.1, "server", "listen", "127.0.0.1:40000, backlog 1", "ok", "", 0))
	for i := 1; i <= 4; i++ {
		c, t := fmt.Sprintf("c%d", i), float64(i)
		r.Events = append(r.Events,
			call(t, c, "connect", "127.0.0.1:40000", "EINPROGRESS", "", 0),
			pkt(t+0.1, c, "server", "S", 0, 0, 0, ""))
		if i <= 2 {
			r.Events = append(r.Events, pkt(t+0.2, "server", c, "S.", 0, 1, 0, ""),
				state(t+0.3, c, tcpstate.SynSent, tcpstate.Established))
		}
	}
	r.Events = append(r.Events, snap(1500,
		lab.SockRow{Actor: "server", State: tcpstate.Listen, RecvQ: 2, SendQ: 1},
		lab.SockRow{Actor: "c3", State: tcpstate.SynSent, Timer: "on", Expiry: 1000},
		lab.SockRow{Actor: "c4", State: tcpstate.SynSent, Timer: "on", Expiry: 1000}),
		note(2500, "", "the SYNs of c3 and c4 were retransmitted: the accept queue (backlog 1 → 2 slots) was full"))
	return r
}

// udp has three actors and ICMP.
func udp() lab.Result {
	return lab.Result{Name: "udp-connect", Claims: []string{"C26"}, Passed: true, Duration: at(120),
		Actors: []string{"client", "A", "B"},
		Events: []lab.Event{
			call(0.1, "client", "connect", "127.0.0.1:40001", "ok", "", 0),
			call(0.2, "client", "send", `"x"`, "1", "", 0),
			{T: at(0.3), Kind: lab.KindPacket, Packet: &lab.Packet{From: "client", To: "B", Proto: "udp", Len: 1, Info: `"x"`}},
			{T: at(0.4), Kind: lab.KindPacket, Packet: &lab.Packet{From: "B", To: "client", Proto: "icmp", Info: "udp port 40001 unreachable"}},
			{T: at(0.45), Kind: lab.KindPacket, Packet: &lab.Packet{From: "127.0.0.1:5353", To: "client", Proto: "udp", Len: 9}},
			call(0.5, "client", "recv", "", "ECONNREFUSED", "", 0),
			note(0.6, "A", "A is never sent to: 接收方一直没有收到任何数据，这一行很长，用来测试中文换行是否正确计算宽度"),
		},
		Verdicts: []lab.Verdict{{Claim: "C26", Verdict: "agrees", Said: "only a connected UDP socket learns of ICMP errors",
			Observed: "recv() = ECONNREFUSED", SaidZh: "只有已连接的 UDP 套接字才会得知 ICMP 错误"}},
	}
}

// all is every fixture, for the property tests.
func all() map[string]lab.Result {
	return map[string]lab.Result{
		"seed-close": seedClose(), "seed-shutdown": seedShutdown(), "no-root": noRoot(),
		"failed": failed(), "broken": broken(), "backlog": backlog(), "udp": udp(),
	}
}
