package cli_test

import (
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// An unreachable host: in a namespace of our own, with only lo up, a
// benchmarking address (198.18.0.0/15) has no route. One line, exit 1, no
// wait. (Its packets could go nowhere: no interface leads out.)
func TestProbeUnreachable(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var out, stderr string
	var code int
	if err := ns.Do(func() error {
		out, stderr, code = runProbe(t, "-max-wait", "2s", "198.18.0.1:80")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code != cli.ExitFailure || !strings.Contains(stderr, "network is unreachable") || strings.Contains(stderr, "\n") || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line saying the network is unreachable", code, out, stderr)
	}
}
