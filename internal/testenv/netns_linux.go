package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/tcpteardown/teardown/internal/netns"
)

// Tests as root run in a network namespace of their own, where the
// socket tables, TIME-WAIT accounting, ports and sysctls are theirs alone.
// On the host's they share all of that with whatever else runs: other
// test binaries, a benchmark's churn. Measured: with the host's TIME-WAIT
// table full (net.ipv4.tcp_max_tw_buckets reached; nstat
// TcpExtTCPTimeWaitOverflow counting), an active closer gets no TIME-WAIT
// socket at all, and the tests that look for one (sockdiag, trace) fail.
// The lab runs its scenarios in namespaces for the same reason.
const (
	envInNetNS = "TEARDOWN_TEST_NETNS"   // set in the re-executed test binary
	envHostNet = "TEARDOWN_TEST_HOSTNET" // =1: stay on the host's network (debugging)
)

// inPrivateNetwork runs this test binary again, with the same arguments,
// in a new network namespace, and returns its exit code. ok is false when
// the tests are to run here: not root, already inside, asked to stay on
// the host, or the namespace could not be made (said on stderr; the tests
// then run on the host's network as before).
func inPrivateNetwork() (code int, ok bool) {
	switch {
	case os.Getenv(envInNetNS) == "1":
		if err := netns.LoopbackUp(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
			return 1, true
		}
		return 0, false
	case !IsRoot() || os.Getenv(envHostNet) == "1":
		return 0, false
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInNetNS+"=1")
	// The child dies with us (go test killing a stuck binary must not
	// leave its tests running). The death signal follows the thread that
	// started the child, so that thread stays ours until the process ends.
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: running the tests on the host's network: a private network namespace: %v\n", err)
		return 0, false
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return exit.ExitCode(), true
	}
	fmt.Fprintf(os.Stderr, "testenv: the tests in their network namespace: %v\n", err)
	return 1, true
}
