package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/runner"
)

func parseWire(t *testing.T, text string) *lab.Scenario {
	t.Helper()
	s, err := lab.Parse("wire.scn", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWireScenario runs a scenario on the lab's wire: the actors on two
// hosts, the wire's lane dropping the client's FIN, the packets taken from
// the wire with their marks, and nothing left behind.
func TestWireScenario(t *testing.T) {
	testenv.RequireRoot(t)
	s := parseWire(t, `scenario wired
wire
sysctl b net/ipv4/tcp_fin_timeout 2
actor client
actor server
wire: drop client>server F.
server: listen
client: connect server
server: accept
client: close
server: read
expect count client>server F. = 2
expect count client>server F. dropped = 1
expect call server read#1 = EOF
`)
	fds := countFDs(t)
	res := runner.RunScenario(context.Background(), s, nil)
	if len(res) != 1 || res[0].Status != lab.StatusPassed {
		t.Fatalf("result %+v", res)
	}
	var marks []string
	for _, e := range res[0].Events {
		if p := e.Packet; p != nil {
			if p.From != "client" && p.From != "server" {
				t.Errorf("packet from %q: every packet on the wire belongs to an actor", p.From)
			}
			if p.Wire != "" {
				marks = append(marks, p.From+">"+p.To+" "+p.Flags+" "+p.Wire)
			}
		}
		if n := e.Note; n != nil && strings.HasPrefix(n.Text, "wire: ") && n.Text != "wire: drop client>server F." {
			t.Errorf("wire step recorded as %q", n.Text)
		}
	}
	if len(marks) != 1 || marks[0] != "client>server F. dropped" {
		t.Errorf("marked packets %q, want the one dropped FIN", marks)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("%d descriptors open after the run, %d before (namespaces, TUN devices)", got, fds)
	}
}

// TestWireStepFails: a wire step the wire refuses (an inject before any
// connection crossed it) fails the run with the step's line, and the
// hosts are gone.
func TestWireStepFails(t *testing.T) {
	testenv.RequireRoot(t)
	s := parseWire(t, `scenario badinject
wire
actor client
actor server
wire: inject client>server R
server: listen
client: sleep 10ms
`)
	fds := countFDs(t)
	res := runner.RunScenario(context.Background(), s, nil)
	if len(res) != 1 || res[0].Status != lab.StatusFailed || !strings.Contains(res[0].Err, "wire.scn:5:") || !strings.Contains(res[0].Err, "inject") {
		t.Fatalf("result %q %q, want a failure at wire.scn:5 naming the inject", res[0].Status, res[0].Err)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("%d descriptors open after the run, %d before", got, fds)
	}
}

// TestWireCancel: Ctrl-C during a wire scenario whose steps (and lane)
// block for 30 s ends it promptly, interrupted, with both hosts removed.
func TestWireCancel(t *testing.T) {
	testenv.RequireRoot(t)
	s := parseWire(t, `scenario wireblock
wire
actor client
actor server
wire: cut
wire: sleep 30s
server: listen
client: connect server wait=30s
`)
	fds := countFDs(t)
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(500*time.Millisecond, cancel)
	defer timer.Stop()
	t0 := time.Now()
	res := runner.RunScenario(ctx, s, nil)
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("a cancelled wire run took %v; its steps block for 30 s and must be cut short", d)
	}
	if len(res) != 1 || res[0].Status != lab.StatusInterrupted {
		t.Errorf("status %q, want %q", res[0].Status, lab.StatusInterrupted)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("%d descriptors open after the run, %d before", got, fds)
	}
}
