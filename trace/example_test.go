package trace_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

func ExampleParseLine() {
	line := `<idle>-0 [001] ..s2. 369.392143: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP ` +
		`sport=42022 dport=9527 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 ` +
		`daddrv6=::ffff:127.0.0.1 oldstate=TCP_FIN_WAIT1 newstate=TCP_FIN_WAIT2`
	t, err := trace.ParseLine(line, trace.Clock{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t)
	// Output: 127.0.0.1.42022 FIN-WAIT-1 → FIN-WAIT-2
}

// The client closed first and its socket was orphaned: the kernel reports
// FIN-WAIT-2 → CLOSE when its FIN is acknowledged, and the connection
// enters TIME-WAIT only when the server's FIN arrives.
func ExampleInferrer() {
	client := netip.MustParseAddrPort("127.0.0.1:42022")
	server := netip.MustParseAddrPort("127.0.0.1:9527")
	t0 := time.Unix(0, 0)
	state := func(ms int, local, remote netip.AddrPort, from, to tcpstate.State) trace.Transition {
		return trace.Transition{Time: t0.Add(time.Duration(ms) * time.Millisecond), Kind: trace.StateChange,
			Local: local, Remote: remote, From: from, To: to}
	}
	in := trace.NewInferrer()
	for _, t := range []trace.Transition{
		state(0, client, server, tcpstate.Established, tcpstate.FinWait1),
		state(0, server, client, tcpstate.Established, tcpstate.CloseWait),
		state(40, client, server, tcpstate.FinWait1, tcpstate.FinWait2),
		state(40, client, server, tcpstate.FinWait2, tcpstate.Close),
		state(300, server, client, tcpstate.CloseWait, tcpstate.LastAck),
		state(300, server, client, tcpstate.LastAck, tcpstate.Close),
	} {
		for _, u := range in.Feed(t) {
			fmt.Printf("%3d ms %v\n", u.Time.Sub(t0).Milliseconds(), u)
		}
	}
	// Output:
	//   0 ms 127.0.0.1.42022 ESTABLISHED → FIN-WAIT-1
	//   0 ms 127.0.0.1.9527 ESTABLISHED → CLOSE-WAIT
	//  40 ms 127.0.0.1.42022 FIN-WAIT-1 → FIN-WAIT-2
	//  40 ms 127.0.0.1.42022 FIN-WAIT-2 → CLOSE
	// 300 ms 127.0.0.1.9527 CLOSE-WAIT → LAST-ACK
	// 300 ms 127.0.0.1.9527 LAST-ACK → CLOSE
	// 300 ms 127.0.0.1.42022 FIN-WAIT-2 → TIME-WAIT (inferred)
}

// Tracing needs root; the transitions stop when ctx is cancelled.
func ExampleStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := trace.Available(); err != nil {
		fmt.Println(err) // e.g. "trace: creating a tracefs instance ... needs root"
		return
	}
	tr, err := trace.Start(ctx, &trace.Config{Ports: []uint16{9527}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	for t := range tr.Events() {
		fmt.Println(t.Time.Format("15:04:05.000000"), t)
	}
}
