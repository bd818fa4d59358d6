package tcpstate_test

import (
	"fmt"

	"github.com/tcpteardown/teardown/tcpstate"
)

// The active closer's path, as ss prints it, and which side each state
// belongs to.
func Example() {
	for _, s := range []tcpstate.State{tcpstate.Established, tcpstate.FinWait1, tcpstate.FinWait2, tcpstate.TimeWait} {
		fmt.Printf("%-11s active-close=%-5v may-send=%v\n", s, s.ActiveClose(), s.MaySend())
	}
	s, _ := tcpstate.Parse("TCP_CLOSE_WAIT") // as a tracepoint prints it
	fmt.Println(s, s.PassiveClose())
	// Output:
	// ESTABLISHED active-close=false may-send=true
	// FIN-WAIT-1  active-close=true  may-send=false
	// FIN-WAIT-2  active-close=true  may-send=false
	// TIME-WAIT   active-close=true  may-send=false
	// CLOSE-WAIT true
}
