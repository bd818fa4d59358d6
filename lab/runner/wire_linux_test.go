package runner_test

import (
	"context"
	"os"
	"slices"
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
// block for 30 s ends it promptly, interrupted, with both hosts removed,
// whether it runs here or in a user-namespace child (killed).
func TestWireCancel(t *testing.T) {
	testenv.RequireRoot(t)
	for _, userNS := range []bool{false, true} {
		t.Run(map[bool]string{false: "root", true: "userns"}[userNS], func(t *testing.T) { testWireCancel(t, userNS) })
	}
}

func testWireCancel(t *testing.T, userNS bool) {
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
	res := runner.RunScenario(ctx, s, &runner.Options{UserNS: userNS})
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("a cancelled wire run took %v; its steps block for 30 s and must be cut short", d)
	}
	if len(res) != 1 || res[0].Status != lab.StatusInterrupted {
		t.Errorf("status %q, want %q", res[0].Status, lab.StatusInterrupted)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("%d descriptors open after the run, %d before", got, fds)
	}
	if kids := children(t); len(kids) > 0 {
		t.Errorf("child processes left: %v", kids)
	}
}

// TestWireUserNS runs a wire scenario the way a user without root does: in
// a child of this test binary inside a new user namespace. The wire
// records the packets; the states are not traced, so a condition on them
// is skipped, never guessed.
func TestWireUserNS(t *testing.T) {
	testenv.RequireRoot(t) // /dev/net/tun must be usable from the user namespace; as root it is
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err != nil || strings.TrimSpace(string(b)) == "0" {
		t.Skip("user namespaces are disabled here")
	}
	s := parseWire(t, `scenario inuserns
wire
actor client
actor server
wire: drop client>server F.
server: listen
client: connect server
server: accept
client: close
server: read
expect count client>server F. dropped = 1
expect call server read#1 = EOF
expect state server CLOSE-WAIT
`)
	fds := countFDs(t)
	res := runner.RunScenario(context.Background(), s, &runner.Options{UserNS: true})
	if len(res) != 1 || res[0].Status != lab.StatusPassed {
		t.Fatalf("result %q %q %+v", res[0].Status, res[0].Err, res[0].Expects)
	}
	if !slices.Contains(res[0].Notes, runner.NoteUserNS) {
		t.Errorf("notes %q do not say the run was in a user namespace", res[0].Notes)
	}
	// Without root tracefs refuses the child; as root (this test) its
	// user namespace maps uid 0, and tracing may work: either way the
	// state condition is skipped exactly when the run says it was not traced.
	untraced := slices.ContainsFunc(res[0].Notes, func(n string) bool { return strings.HasPrefix(n, "states were not traced") })
	for _, e := range res[0].Expects {
		if e.Skipped != (untraced && e.Text == "state server CLOSE-WAIT") {
			t.Errorf("expectation %q skipped=%v (states untraced: %v)", e.Text, e.Skipped, untraced)
		}
	}
	if got := countFDs(t); got > fds {
		t.Errorf("%d descriptors open after the run, %d before", got, fds)
	}
	if kids := children(t); len(kids) > 0 {
		t.Errorf("child processes left: %v", kids)
	}
}
