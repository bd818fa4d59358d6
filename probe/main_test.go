package probe_test

import (
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
)

// The tests open sockets and start servers: the leak check catches a check
// that leaves a connection or goroutine behind.
func TestMain(m *testing.M) { testenv.Main(m) }
