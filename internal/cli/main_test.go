package cli_test

import (
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab/runner"
)

// One TestMain for every command's tests: they open sockets, and the leak
// check catches a command that leaves a goroutine or descriptor behind.
func TestMain(m *testing.M) {
	runner.RunIfChild() // process actors re-execute this test binary
	testenv.Main(m)
}
