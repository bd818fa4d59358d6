package sockdiag_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// A listener nobody connects to is one LISTEN row; its Send-Q is the backlog.
// (Only LISTEN rows are asked for: a free port may still be the remote port
// of TIME-WAIT sockets that other programs left.)
func ExampleList() {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	p := uint16(l.Addr().(*net.TCPAddr).Port)
	socks, err := sockdiag.List(sockdiag.Filter{Ports: []uint16{p}, States: []tcpstate.State{tcpstate.Listen}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for state, n := range sockdiag.Count(socks) {
		fmt.Println(state, n, socks[0].SendQ > 0)
	}
	// Output: LISTEN 1 true
}

func ExampleSocket_String() {
	s := sockdiag.Socket{
		State:   tcpstate.TimeWait,
		Local:   netip.MustParseAddrPort("127.0.0.1:56238"),
		Remote:  netip.MustParseAddrPort("127.0.0.1:9527"),
		Timer:   sockdiag.TimerTimeWait,
		Expires: 59*time.Second + 400*time.Millisecond,
		Cookie:  0x2a,
	}
	fmt.Println(s)
	// Output: TIME-WAIT 0 0 127.0.0.1:56238 127.0.0.1:9527 timer:(timewait,59sec,0) sk:2a
}

// A server that never closes: CLOSE-WAIT climbs with every client that leaves.
func ExampleAlarms() {
	var series []sockdiag.Sample
	for _, n := range []int{2, 5, 7, 12} {
		// AgesKnown with no ages: none is old yet (AgeTracker fills them).
		series = append(series, sockdiag.Sample{Counts: map[tcpstate.State]int{tcpstate.CloseWait: n}, AgesKnown: true,
			CloseWaitAges: make([]time.Duration, n)})
	}
	for _, a := range sockdiag.Alarms(series, nil) {
		fmt.Println(a.Kind)
	}
	// Output: close-wait-growing
}
