package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestOnlyListenersReset runs a few hundred clean exchanges in a network
// namespace of their own (their TIME-WAIT sockets stay there): every one
// must complete, and any reset the kernel sends for them must be a
// listener's answer to a late segment — never a reset of the close itself.
func TestOnlyListenersReset(t *testing.T) {
	testenv.RequireRoot(t)
	for _, tool := range []string{"unshare", "ip"} {
		_, err := exec.LookPath(tool)
		testenv.Require(t, err == nil, tool+" is not installed (apt-get install util-linux iproute2)")
	}
	cmd := exec.Command("unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" -test.run='^TestExchangesInNamespace$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "LATERESET_IN_NETNS=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestExchangesInNamespace") {
		t.Fatalf("in a private namespace: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestExchangesInNamespace is TestOnlyListenersReset's body, run by it in
// the namespace it made.
func TestExchangesInNamespace(t *testing.T) {
	if os.Getenv("LATERESET_IN_NETNS") != "1" {
		t.Skip("run by TestOnlyListenersReset inside a private network namespace")
	}
	r, err := run(context.Background(), 400, 8, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.done != 400 || r.failed != 0 {
		t.Fatalf("%d exchanges done, %d failed; want 400, 0", r.done, r.failed)
	}
	for k, n := range r.resets {
		if k != "from LISTEN, reason TCP_FLAGS" {
			t.Errorf("%d resets %s: only a listener's reply to a late segment is expected", n, k)
		}
	}
	t.Logf("%d kinds of late reset in %d exchanges: %v", len(r.resets), r.done, r.resets)
}
