package render_test

import (
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/tcpstate"
)

// The results below are built by hand to mirror the seed's experiments A
// and B (CLAIMS.md, seed 003) as the lab records them on Linux: the packet
// sequences are the seed's, the calls and states what this kernel does.

func at(msec float64) time.Duration { return time.Duration(msec * float64(time.Millisecond)) }

func pkt(t float64, from, to, flags string, seq, ack uint32, n int, info string) lab.Event {
	return lab.Event{T: at(t), Kind: lab.KindPacket, Packet: &lab.Packet{
		From: from, To: to, Proto: "tcp", Flags: flags, Seq: seq, Ack: ack, Len: n, Win: 512, Info: info}}
}

func call(t float64, actor, op, args, result, data string, dur float64) lab.Event {
	return lab.Event{T: at(t), Kind: lab.KindCall, Call: &lab.Call{
		Actor: actor, Op: op, Args: args, Result: result, Data: data, Dur: at(dur)}}
}

func state(t float64, actor string, from, to tcpstate.State) lab.Event {
	return lab.Event{T: at(t), Kind: lab.KindState, State: &lab.State{Actor: actor, From: from, To: to}}
}

func reset(e lab.Event, how string) lab.Event { e.State.Reset = how; return e }

func inferred(e lab.Event) lab.Event { e.State.Inferred = true; return e }

func note(t float64, actor, text string) lab.Event {
	return lab.Event{T: at(t), Kind: lab.KindNote, Note: &lab.Note{Actor: actor, Text: text}}
}

func snap(t float64, rows ...lab.SockRow) lab.Event {
	return lab.Event{T: at(t), Kind: lab.KindSnapshot, Snapshot: &lab.Snapshot{Rows: rows}}
}

// handshake is the connection set-up both experiments share.
func handshake() []lab.Event {
	return []lab.Event{
		call(0.020, "server", "listen", "127.0.0.1:40713, backlog 1", "ok", "", 0.01),
		note(0.030, "server", "SIGPIPE ignored, as in the seed"),
		state(0.210, "client", tcpstate.Close, tcpstate.SynSent),
		pkt(0.215, "client", "server", "S", 0, 0, 0, ""),
		pkt(0.230, "server", "client", "S.", 0, 1, 0, ""),
		state(0.236, "client", tcpstate.SynSent, tcpstate.Established),
		pkt(0.240, "client", "server", ".", 0, 1, 0, ""),
		call(0.262, "client", "connect", "127.0.0.1:40713", "ok", "", 0.06),
		state(0.262, "server", tcpstate.SynRecv, tcpstate.Established),
		call(0.300, "server", "accept", "", "ok", "", 0.28),
	}
}

// seedClose is experiment A: the client sends "aaa" and closes; the
// server's late answer meets an orphaned socket and is answered by RST.
func seedClose() lab.Result {
	ev := append(handshake(),
		call(0.410, "client", "write", `"aaa"`, "3", "", 0.02),
		pkt(0.430, "client", "server", "P.", 1, 1, 3, `"aaa"`),
		pkt(0.441, "server", "client", ".", 1, 4, 0, ""),
		call(0.520, "server", "read", "", "3", `"aaa"`, 0.2),
		call(100.600, "client", "close", "", "ok", "", 0.01),
		state(100.630, "client", tcpstate.Established, tcpstate.FinWait1),
		pkt(100.640, "client", "server", "F.", 4, 1, 0, ""),
		state(100.660, "server", tcpstate.Established, tcpstate.CloseWait),
		pkt(100.690, "server", "client", ".", 1, 5, 0, ""),
		state(100.700, "client", tcpstate.FinWait1, tcpstate.FinWait2),
		snap(150.000,
			lab.SockRow{Actor: "client", State: tcpstate.FinWait2, Timer: "timewait", Expiry: 59950, Orphan: true,
				Local: "127.0.0.1:51234", Remote: "127.0.0.1:40713"},
			lab.SockRow{Actor: "server", State: tcpstate.CloseWait, Local: "127.0.0.1:40713", Remote: "127.0.0.1:51234"}),
		call(300.560, "server", "sleep", "300ms", "ok", "", 300.04),
		call(300.600, "server", "write", `"Hi, aaa"`, "7", "", 0.03),
		pkt(300.630, "server", "client", "P.", 1, 5, 7, `"Hi, aaa"`),
		pkt(300.660, "client", "server", "R", 5, 0, 0, ""),
		reset(state(300.670, "client", tcpstate.FinWait2, tcpstate.Close), "sent"),
		reset(state(300.690, "server", tcpstate.CloseWait, tcpstate.Close), "received"),
		call(300.900, "server", "read", "", "ECONNRESET", "", 0.01),
		call(301.000, "server", "write", `"more"`, "EPIPE", "", 0.01),
		call(301.100, "server", "read", "", "EOF", "", 0.01),
		call(301.200, "server", "write", `"more"`, "EPIPE", "", 0.01),
		call(301.300, "server", "close", "", "ok", "", 0.01),
	)
	return lab.Result{
		Name: "seed-close", Title: "close() while the peer still has something to say (experiment A, seed 003)",
		Claims: []string{"C04", "C05", "C06"}, Passed: true, Duration: at(312.5),
		Actors: []string{"client", "server"}, Events: ev,
		Expects: []lab.Expectation{
			{Line: 21, Text: "expect packet server > client P. len 7", OK: true},
			{Line: 22, Text: "expect packet client > server R", OK: true},
			{Line: 23, Text: "expect server write \"Hi, aaa\" = 7", OK: true},
			{Line: 24, Text: "expect server read = ECONNRESET", OK: true},
			{Line: 25, Text: "expect server write \"more\" = EPIPE", OK: true},
		},
		Verdicts: []lab.Verdict{
			{Claim: "C04", Verdict: "agrees",
				Said:     "Data that reaches a socket after our close() is answered with a reset (seeds 001, 004).",
				Observed: `the client's orphaned FIN-WAIT-2 socket answered the server's "Hi, aaa" with [R] seq 5`,
				Why:      "After close() no process can read the data, so the kernel refuses it with a reset instead of acknowledging it (RFC 9293 §3.6, RFC 2525 §2.17).",
				SaidZh:   "close() 之后对端再发来的数据会被回以 RST（种子 001、004）。",
				WhyZh:    "close() 之后已没有进程能读这些数据，内核不确认它们，而是用 RST 拒绝（RFC 9293 §3.6，RFC 2525 §2.17）。"},
			{Claim: "C05", Verdict: "partly",
				Said:     "Writing after a reset raises SIGPIPE, which kills the process by default; if SIGPIPE is ignored the write fails with EPIPE (seeds 000, 001, 004).",
				Observed: "with SIGPIPE ignored both writes after the reset failed with EPIPE; the default action is tested by sigpipe-default",
				SaidZh:   "收到 RST 后再写会触发 SIGPIPE，默认动作是终止进程；忽略 SIGPIPE 时写返回 EPIPE（种子 000、001、004）。"},
			{Claim: "C06", Verdict: "agrees",
				Said:     "The server's first write after the client closed seems to work and draws a reset; its next read fails with ECONNRESET (seeds 003, 004).",
				Observed: `write("Hi, aaa") = 7, then [R] from the client, then read() = ECONNRESET`,
				Why:      "write() only copies into the send buffer: the reset comes back a round trip later and is reported by the next call.",
				SaidZh:   "客户端关闭后，服务端第一次写看似成功并引来 RST；随后的读失败，错误为 ECONNRESET（种子 003、004）。",
				WhyZh:    "write() 只是把数据拷进发送缓冲区：RST 要一个往返之后才回来，由下一次调用报告。"},
		},
	}
}

// seedShutdown is experiment B: shutdown(SHUT_WR) instead of close(), so
// the answer still arrives and the connection ends with four segments.
func seedShutdown() lab.Result {
	ev := append(handshake(),
		call(0.410, "client", "write", `"aaa"`, "3", "", 0.02),
		pkt(0.430, "client", "server", "P.", 1, 1, 3, `"aaa"`),
		pkt(0.441, "server", "client", ".", 1, 4, 0, ""),
		call(0.520, "server", "read", "", "3", `"aaa"`, 0.2),
		call(0.600, "client", "shutdown", "WR", "ok", "", 0.01),
		state(0.630, "client", tcpstate.Established, tcpstate.FinWait1),
		pkt(0.640, "client", "server", "F.", 4, 1, 0, ""),
		state(0.660, "server", tcpstate.Established, tcpstate.CloseWait),
		pkt(0.690, "server", "client", ".", 1, 5, 0, ""),
		state(0.700, "client", tcpstate.FinWait1, tcpstate.FinWait2),
		call(300.560, "server", "sleep", "300ms", "ok", "", 300.04),
		call(300.600, "server", "write", `"Hi, aaa"`, "7", "", 0.03),
		pkt(300.630, "server", "client", "P.", 1, 5, 7, `"Hi, aaa"`),
		pkt(300.660, "client", "server", ".", 5, 8, 0, ""),
		call(300.700, "client", "read", "", "7", `"Hi, aaa"`, 300.08),
		call(300.800, "server", "read", "", "EOF", "", 0.01),
		call(300.900, "server", "close", "", "ok", "", 0.01),
		state(300.910, "server", tcpstate.CloseWait, tcpstate.LastAck),
		pkt(300.920, "server", "client", "F.", 8, 5, 0, ""),
		pkt(300.950, "client", "server", ".", 5, 9, 0, ""),
		inferred(state(300.960, "client", tcpstate.FinWait2, tcpstate.TimeWait)),
		state(300.970, "server", tcpstate.LastAck, tcpstate.Close),
		call(301.000, "client", "read", "", "EOF", "", 0.2),
		call(301.100, "client", "close", "", "ok", "", 0.01),
		snap(301.500, lab.SockRow{Actor: "client", State: tcpstate.TimeWait, Timer: "timewait", Expiry: 59998,
			Local: "127.0.0.1:51234", Remote: "127.0.0.1:40713"}),
	)
	return lab.Result{
		Name: "seed-shutdown", Title: "shutdown(SHUT_WR), then read to EOF (experiment B, seed 003)",
		Claims: []string{"C01", "C08", "C12", "C14"}, Passed: true, Duration: at(313.0),
		Actors: []string{"client", "server"}, Events: ev,
		Expects: []lab.Expectation{
			{Line: 18, Text: "expect client read = 7", OK: true},
			{Line: 19, Text: "expect client read = EOF", OK: true},
			{Line: 20, Text: "expect no packet R", OK: true},
			{Line: 21, Text: "expect client state TIME-WAIT", OK: true},
		},
		Verdicts: []lab.Verdict{
			{Claim: "C01", Verdict: "agrees",
				Said:     "A connection usually closes one direction first while the other keeps carrying data (seeds 000, 001).",
				Observed: `after the client's [F.] the server still sent "Hi, aaa" and the client read it`},
			{Claim: "C08", Verdict: "agrees",
				Said:     "shutdown(SHUT_WR) sends what is buffered, then FIN; the peer may still send and we may still read (seeds 001, 003).",
				Observed: "[F.] seq 4 left right after shutdown(WR) = ok; read() = 7 300 ms later",
				Why:      "SHUT_WR closes only our sending direction (RFC 9293 §3.6: CLOSE means \"I have no more to send\").",
				SaidZh:   "shutdown(SHUT_WR) 先发出缓冲区中的数据再发 FIN；对端仍可发送，我们仍可读取（种子 001、003）。",
				WhyZh:    "SHUT_WR 只关闭我方的发送方向（RFC 9293 §3.6：CLOSE 的意思是“我没有更多要发的了”）。"},
			{Claim: "C12", Verdict: "agrees",
				Said:     "EOF comes only after every byte sent before the FIN has been read (seeds 001, 004).",
				Observed: "client: read() = 7, then read() = EOF"},
			{Claim: "C14", Verdict: "agrees",
				Said:     "The active closer goes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; the passive closer CLOSE-WAIT, LAST-ACK, CLOSED (seeds 001, 004).",
				Observed: "client FIN-WAIT-1 → FIN-WAIT-2 → ~TIME-WAIT; server CLOSE-WAIT → LAST-ACK → CLOSE",
				Why:      "Linux keeps TIME-WAIT for 60 s (TCP_TIMEWAIT_LEN); no tracepoint marks the entry, sock_diag shows it."},
		},
	}
}
