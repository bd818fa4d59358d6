package testenv_test

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestRootTestsRunInPrivateNetwork: as root, Main has re-executed this
// test binary in a network namespace of its own (not the one of the binary
// that started it, its parent), with lo up and nothing else, so the host's
// socket tables cannot change test results.
func TestRootTestsRunInPrivateNetwork(t *testing.T) {
	testenv.RequireRoot(t)
	if os.Getenv("TEARDOWN_TEST_HOSTNET") == "1" {
		t.Skip("TEARDOWN_TEST_HOSTNET=1: the tests were asked to stay on the host's network")
	}
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", os.Getppid()))
	if err != nil {
		t.Fatal(err)
	}
	if self == host {
		t.Fatalf("the tests run in the host's network namespace (%s)", self)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil || lo.Flags&net.FlagUp == 0 {
		t.Fatalf("lo in the tests' namespace: %+v, %v; want it up", lo, err)
	}
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) != 1 {
		t.Errorf("interfaces %v (%v): a fresh namespace has lo only", ifs, err)
	}
}
