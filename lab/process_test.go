package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/lab"
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

func TestProcessActorListens(t *testing.T) {
	s, err := lab.Parse("process-server.scn", strings.NewReader(processServer))
	if err != nil {
		t.Fatal(err)
	}
	res := lab.RunScenario(context.Background(), s, nil)
	if len(res) != 1 {
		t.Fatalf("%d results, want 1", len(res))
	}
	checkResults(t, 0, res)
	for _, e := range res[0].Expects {
		if e.Skipped {
			t.Logf("skipped without root: %s", e.Text)
		}
	}
}
