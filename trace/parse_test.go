package trace_test

import (
	"bufio"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

// Lines captured from trace_pipe on Linux 6.18 (testdata/*.trace hold the
// whole runs they come from).
const (
	lineListen   = `         python3-9066    [001] .....   369.349691: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=19527 dport=0 saddr=127.0.0.1 daddr=0.0.0.0 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN`
	lineSynSent  = `         python3-9066    [001] .....   369.349734: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=0 dport=19527 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_CLOSE newstate=TCP_SYN_SENT`
	lineFinWait2 = `          <idle>-0       [001] ..s2.   369.392143: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=42022 dport=19527 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_FIN_WAIT1 newstate=TCP_FIN_WAIT2`
	lineV6       = `         python3-9238    [001] .....   371.746021: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=52266 dport=19527 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=::1 daddrv6=::1 oldstate=TCP_ESTABLISHED newstate=TCP_FIN_WAIT1`
	lineV6Junk   = `         python3-9238    [001] .....   372.046293: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=19527 dport=52266 saddr=127.0.0.6 daddr=127.0.0.6 saddrv6=::1 daddrv6=::1 oldstate=TCP_CLOSE_WAIT newstate=TCP_LAST_ACK`
	lineRcvRst   = `         python3-9152    [001] ..s2.   370.726440: tcp_receive_reset: family=AF_INET sport=19527 dport=42036 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 sock_cookie=4`
	lineSendRst  = `         python3-9152    [001] .....   370.726483: tcp_send_reset: skbaddr=0000000000000000 skaddr=000000001506ca69 src=127.0.0.1:42036 dest=127.0.0.1:19527 state=TCP_CLOSE reason=TCP_STATE`
	lineTwRst    = `         python3-9195    [001] ..s1.   371.279692: tcp_send_reset: skbaddr=000000004e931866 skaddr=00000000253559ba src=127.0.0.1:49710 dest=127.0.0.1:19527 state=TCP_TIME_WAIT reason=TCP_TIMEWAIT_SOCKET`
	lineNoSock   = `         python3-18902   [000] ..s1.   545.608591: tcp_send_reset: skbaddr=0000000022ad959f skaddr=0000000000000000 src=127.0.0.1:19529 dest=127.0.0.1:45630 state=UNKNOWN reason=NO_SOCKET`
	lineV6Rst    = `         python3-18740   [000] .....   544.498762: tcp_send_reset: skbaddr=0000000000000000 skaddr=00000000f30cab4c src=[::1]:49758 dest=[::1]:19528 state=TCP_CLOSE reason=TCP_STATE`
	lineDestroy  = `         python3-9066    [001] .....   369.650341: tcp_destroy_sock: family=AF_INET sport=19527 dport=42022 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 sock_cookie=2`
	lineMapped   = `       dual-1    [000] .....     5.000001: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=80 dport=5000 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_SYN_RECV newstate=TCP_ESTABLISHED`
	lineSpaceCmd = ` kworker/u8:1 x-77 [000] b..1.   370.398206: tcp_destroy_sock: family=AF_INET sport=42030 dport=19527 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 sock_cookie=3ea`
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// mono is a trace stamp as the zero Clock converts it.
func mono(sec, usec int64) time.Time { return time.Unix(sec, usec*1000) }

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want trace.Transition
	}{
		{"listen", lineListen, trace.Transition{Time: mono(369, 349691), Kind: trace.StateChange,
			Local: ap("127.0.0.1:19527"), Remote: ap("0.0.0.0:0"), From: tcpstate.Close, To: tcpstate.Listen}},
		{"SYN-SENT has source port 0", lineSynSent, trace.Transition{Time: mono(369, 349734), Kind: trace.StateChange,
			Local: ap("127.0.0.1:0"), Remote: ap("127.0.0.1:19527"), From: tcpstate.Close, To: tcpstate.SynSent}},
		{"FIN-WAIT-2 from softirq", lineFinWait2, trace.Transition{Time: mono(369, 392143), Kind: trace.StateChange,
			Local: ap("127.0.0.1:42022"), Remote: ap("127.0.0.1:19527"), From: tcpstate.FinWait1, To: tcpstate.FinWait2}},
		{"IPv6", lineV6, trace.Transition{Time: mono(371, 746021), Kind: trace.StateChange,
			Local: ap("[::1]:52266"), Remote: ap("[::1]:19527"), From: tcpstate.Established, To: tcpstate.FinWait1}},
		{"IPv6 ignores the junk IPv4 fields", lineV6Junk, trace.Transition{Time: mono(372, 46293), Kind: trace.StateChange,
			Local: ap("[::1]:19527"), Remote: ap("[::1]:52266"), From: tcpstate.CloseWait, To: tcpstate.LastAck}},
		{"v4-mapped unmapped", lineMapped, trace.Transition{Time: mono(5, 1), Kind: trace.StateChange,
			Local: ap("127.0.0.1:80"), Remote: ap("127.0.0.1:5000"), From: tcpstate.SynRecv, To: tcpstate.Established}},
		{"reset received", lineRcvRst, trace.Transition{Time: mono(370, 726440), Kind: trace.ResetReceived,
			Local: ap("127.0.0.1:19527"), Remote: ap("127.0.0.1:42036"), Cookie: 4}},
		{"reset sent by a closing socket", lineSendRst, trace.Transition{Time: mono(370, 726483), Kind: trace.ResetSent,
			Local: ap("127.0.0.1:42036"), Remote: ap("127.0.0.1:19527"), From: tcpstate.Close, Skaddr: 0x1506ca69, Reason: "TCP_STATE"}},
		{"reset sent by a timewait socket", lineTwRst, trace.Transition{Time: mono(371, 279692), Kind: trace.ResetSent,
			Local: ap("127.0.0.1:49710"), Remote: ap("127.0.0.1:19527"), From: tcpstate.TimeWait, Skaddr: 0x253559ba, Reason: "TCP_TIMEWAIT_SOCKET"}},
		{"reset sent with no socket", lineNoSock, trace.Transition{Time: mono(545, 608591), Kind: trace.ResetSent,
			Local: ap("127.0.0.1:19529"), Remote: ap("127.0.0.1:45630"), Reason: "NO_SOCKET"}},
		{"IPv6 reset", lineV6Rst, trace.Transition{Time: mono(544, 498762), Kind: trace.ResetSent,
			Local: ap("[::1]:49758"), Remote: ap("[::1]:19528"), From: tcpstate.Close, Skaddr: 0xf30cab4c, Reason: "TCP_STATE"}},
		{"destroyed", lineDestroy, trace.Transition{Time: mono(369, 650341), Kind: trace.Destroyed,
			Local: ap("127.0.0.1:19527"), Remote: ap("127.0.0.1:42022"), Cookie: 2}},
		{"command with spaces", lineSpaceCmd, trace.Transition{Time: mono(370, 398206), Kind: trace.Destroyed,
			Local: ap("127.0.0.1:42030"), Remote: ap("127.0.0.1:19527"), Cookie: 0x3ea}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trace.ParseLine(tc.line+"\n", trace.Clock{})
			if err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, addrEq); diff != "" {
				t.Errorf("ParseLine (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLineClock(t *testing.T) {
	c := trace.Clock{Offset: 1_700_000_000 * time.Second}
	got, err := trace.ParseLine(lineListen, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1_700_000_369, 349691000); !got.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", got.Time, want)
	}
}

func TestParseLineErrors(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		notEvent bool
		lost     *trace.LostError
	}{
		{name: "header", line: "# tracer: nop", notEvent: true},
		{name: "blank", line: "\n", notEvent: true},
		{name: "lost events", line: "CPU:1 [LOST 42 EVENTS]", lost: &trace.LostError{CPU: 1, Events: 42}},
		{name: "other event", line: "  a-1 [000] ..... 1.000001: sched_switch: prev_comm=a"},
		{name: "not TCP", line: strings.Replace(lineListen, "IPPROTO_TCP", "IPPROTO_SCTP", 1)},
		{name: "bad state", line: strings.Replace(lineListen, "TCP_LISTEN", "TCP_NAPPING", 1)},
		{name: "bad address", line: strings.Replace(lineDestroy, "saddr=127.0.0.1", "saddr=127.0.0", 1)},
		{name: "bad port", line: strings.Replace(lineDestroy, "sport=19527", "sport=95270", 1)},
		{name: "bad family", line: strings.Replace(lineDestroy, "AF_INET", "AF_UNIX", 1)},
		{name: "bad reset address", line: strings.Replace(lineSendRst, "src=127.0.0.1:42036", "src=nowhere", 1)},
		{name: "no stamp", line: "inet_sock_set_state: family=AF_INET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trace.ParseLine(tc.line, trace.Clock{})
			if err == nil {
				t.Fatal("ParseLine succeeded, want an error")
			}
			if got := errors.Is(err, trace.ErrNotEvent); got != tc.notEvent {
				t.Errorf("errors.Is(%v, ErrNotEvent) = %v, want %v", err, got, tc.notEvent)
			}
			var lost *trace.LostError
			if errors.As(err, &lost) || tc.lost != nil {
				if diff := cmp.Diff(tc.lost, lost); diff != "" {
					t.Errorf("LostError (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestParseFiles checks that every line captured from the kernel decodes,
// and that the header trace files begin with is recognised as such.
func TestParseFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.trace"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				header := strings.HasPrefix(line, "#")
				_, err := trace.ParseLine(line, trace.Clock{})
				if header && !errors.Is(err, trace.ErrNotEvent) || !header && err != nil {
					t.Errorf("ParseLine(%q) = %v", line, err)
				}
			}
		})
	}
}

// TestTraceFiles replays whole runs captured from the kernel (python
// sockets on loopback, port 19528, default tcp_fin_timeout) through the
// parser and the Inferrer, and checks each socket's story.
func TestTraceFiles(t *testing.T) {
	tests := []struct {
		file string
		fin  time.Duration     // tcp_fin_timeout of the run; 0 = default
		want map[string]string // role → what happened to that socket, in order
	}{{
		// close() then the server closes 300 ms later: the client's socket
		// becomes a FIN-WAIT-2 mini-socket as soon as its FIN is acked, and
		// enters TIME-WAIT only when the server's FIN arrives.
		file: "close.trace",
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE destroyed TIME-WAIT*",
			"server":   "SYN-RECV ESTABLISHED CLOSE-WAIT LAST-ACK CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		file: "close6.trace",
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE destroyed TIME-WAIT*",
			"server":   "SYN-RECV ESTABLISHED CLOSE-WAIT LAST-ACK CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		// shutdown(SHUT_WR): the socket stays whole in FIN-WAIT-2 and goes to
		// TIME-WAIT when the server's FIN arrives.
		file: "shut.trace",
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE TIME-WAIT* destroyed",
			"server":   "SYN-RECV ESTABLISHED CLOSE-WAIT LAST-ACK CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		// SO_LINGER {1, 0}: straight to CLOSE, reset instead of FIN.
		file: "abort.trace",
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED CLOSE reset-sent",
			"server":   "SYN-RECV ESTABLISHED reset-received CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		file: "abort6.trace",
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED CLOSE reset-sent",
			"server":   "SYN-RECV ESTABLISHED reset-received CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		// close(), then the server writes: the FIN-WAIT-2 mini-socket answers
		// with a reset (claim C04), so it never reaches TIME-WAIT.
		file: "late.trace",
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE destroyed reset-sent",
			"server":   "SYN-RECV ESTABLISHED CLOSE-WAIT reset-received CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		// In a namespace with tcp_fin_timeout=2, the server closes after 1 s:
		// the mini-socket is still there and enters TIME-WAIT.
		file: "within.trace",
		fin:  2 * time.Second,
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE destroyed TIME-WAIT*",
			"server":   "SYN-RECV ESTABLISHED CLOSE-WAIT LAST-ACK CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}, {
		// The same after 3 s: the mini-socket expired, the server's FIN is
		// answered by a reset from no socket at all (claim C15).
		file: "expired.trace",
		fin:  2 * time.Second,
		want: map[string]string{
			"client":   "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE destroyed reset-sent",
			"server":   "SYN-RECV ESTABLISHED CLOSE-WAIT LAST-ACK reset-received CLOSE destroyed",
			"listener": "LISTEN CLOSE destroyed",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := stories(t, filepath.Join("testdata", tc.file), 19528, tc.fin)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("socket stories (-want +got):\n%s", diff)
			}
		})
	}
}

// stories parses a trace file, runs it through an Inferrer and tells, per
// role, the states entered (inferred ones starred) and the other events.
func stories(t *testing.T, path string, port uint16, fin time.Duration) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := trace.NewInferrer()
	in.FinTimeout = fin
	got := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		tr, err := trace.ParseLine(sc.Text(), trace.Clock{})
		if err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		for _, u := range in.Feed(tr) {
			r := role(u, port)
			got[r] = strings.TrimSpace(got[r] + " " + step(u))
		}
	}
	return got
}

func role(t trace.Transition, port uint16) string {
	switch {
	case t.Local.Port() == port && t.Remote.Port() == 0:
		return "listener"
	case t.Local.Port() == port:
		return "server"
	}
	return "client"
}

func step(t trace.Transition) string {
	switch {
	case t.Kind != trace.StateChange:
		return t.Kind.String()
	case t.Inferred:
		return t.To.String() + "*"
	}
	return t.To.String()
}

func FuzzParseLine(f *testing.F) {
	for _, l := range []string{lineListen, lineSynSent, lineV6, lineRcvRst, lineSendRst, lineNoSock,
		lineDestroy, lineSpaceCmd, "CPU:0 [LOST 1 EVENTS]", "# tracer: nop"} {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		tr, err := trace.ParseLine(line, trace.Clock{})
		if err != nil {
			return
		}
		if tr.Kind == trace.KindInvalid || !tr.Local.IsValid() || !tr.Remote.IsValid() {
			t.Errorf("ParseLine(%q) = %+v without error", line, tr)
		}
		if tr.Kind == trace.StateChange && (!tr.From.Valid() || !tr.To.Valid()) {
			t.Errorf("ParseLine(%q): invalid states %v → %v", line, tr.From, tr.To)
		}
		_ = tr.String()
	})
}
