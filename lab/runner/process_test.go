package runner_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/runner"
)

// A user's scenario in which a process actor is the server: its listener
// is bound by the parent before the clock starts (so connect finds it and
// the recorders filter on its port) and handed to the child, which alone
// holds it, so the child's exit closes the accepted socket with a FIN (C13)
// exactly as a C server's would.
const processServer = `scenario process-server
title a server process exits without close while a client waits
claims C13
actor srv process
actor cli

srv: listen
cli: connect srv
srv: accept
cli: write "hello"
srv: read
srv: exit
cli: read
cli: close

expect call srv listen#1 = ok
expect call srv read#1 = 5
expect call cli read#1 = EOF
expect packet srv>cli F.
`

// The same for a process actor's UDP socket: bound by the parent, so a
// thread can send to it by name.
const processUDP = `scenario process-udp
title a process actor receives a datagram
claims C26
actor srv process
actor cli

srv: udp
srv: signal up
cli: udp
cli: wait up
cli: sendto srv "ping"
srv: recv wait=1s

expect call cli sendto#1 = 4
expect call srv recv#1 = 4
`

func TestProcessActorServes(t *testing.T) {
	for name, text := range map[string]string{"tcp": processServer, "udp": processUDP} {
		t.Run(name, func(t *testing.T) {
			s, err := lab.Parse(name+".scn", strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			res := runner.RunScenario(context.Background(), s, nil)
			if len(res) != 1 {
				t.Fatalf("%d results, want 1", len(res))
			}
			checkResults(t, 0, res)
			for _, e := range res[0].Expects {
				if e.Skipped {
					t.Logf("skipped without root: %s", e.Text)
				}
			}
		})
	}
}
