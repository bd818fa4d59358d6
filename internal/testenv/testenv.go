// Package testenv holds what teardown's tests share: the root gate that
// skips on a developer's machine but fails in CI, and the leak check that
// every package opening sockets runs from TestMain.
package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (CI=true), where every
// privileged test must run: CI is root, so a skip there would hide a
// broken feature.
func InCI() bool { return os.Getenv("CI") == "true" }

// IsRoot reports whether the process runs as root.
func IsRoot() bool { return os.Geteuid() == 0 }

// RequireRoot skips t with a clear reason when not root, or when root
// lacks the capabilities the privileged tests use (a container that drops
// CAP_NET_ADMIN, CAP_NET_RAW or CAP_SYS_ADMIN would make them fail with
// EPERM instead), and fails it when CI=true.
func RequireRoot(t testing.TB) {
	t.Helper()
	missing := missingCaps()
	switch {
	case IsRoot() && missing == "":
		return
	case InCI() && !IsRoot():
		t.Fatal("this test needs root and CI=true: CI runs as root, so not being root here is a broken CI set-up")
	case InCI():
		t.Fatalf("this test needs %s and CI=true: CI's root must have it", missing)
	case !IsRoot():
		t.Skip("needs root (packet capture, tracefs, network namespaces): run `sudo go test ./...` to include it")
	}
	t.Skipf("needs %s, which this root lacks (a restricted container?)", missing)
}

// RequirePermitted ends t when err is a refused privilege (EPERM, EACCES):
// a skip that says so on a developer's machine, a failure under CI=true.
// Any other error fails t. Use it on the error of the privileged call
// itself, which knows better than any check made before it.
func RequirePermitted(t testing.TB, err error) {
	t.Helper()
	switch {
	case err == nil:
	case !errors.Is(err, os.ErrPermission):
		t.Fatal(err)
	case InCI():
		t.Fatalf("%v, and CI=true: CI runs as root with every capability, so this is a broken set-up", err)
	default:
		t.Skipf("not permitted here: %v", err)
	}
}

// capability numbers of linux/capability.h the privileged tests rely on.
var neededCaps = []struct {
	bit  uint
	name string
}{{12, "CAP_NET_ADMIN"}, {13, "CAP_NET_RAW"}, {21, "CAP_SYS_ADMIN"}}

// missingCaps names the needed capabilities absent from this process's
// effective set ("" when all are there or the set cannot be read).
func missingCaps() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	var eff uint64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			eff, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	var miss []string
	for _, c := range neededCaps {
		if eff&(1<<c.bit) == 0 {
			miss = append(miss, c.name)
		}
	}
	return strings.Join(miss, ", ")
}

// Require skips t with reason when a prerequisite (a tool, an address) is
// missing on a developer's machine, and fails it when CI=true: CI must
// provide everything the tests need, so a skip there would hide a feature
// that was never tested.
func Require(t testing.TB, ok bool, reason string) {
	t.Helper()
	switch {
	case ok:
	case InCI():
		t.Fatalf("%s, and CI=true: .ci/run must provide it", reason)
	default:
		t.Skip(reason)
	}
}

// Main runs the tests of a package and exits non-zero when they leave
// goroutines or file descriptors behind. As root on Linux it runs them in a
// network namespace of their own (the test binary again, with lo up), so
// that what other programs do to the host's socket tables cannot change
// their results; TEARDOWN_TEST_HOSTNET=1 keeps them on the host's network.
// Use it as
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	if code, ok := inPrivateNetwork(); ok {
		os.Exit(code)
	}
	os.Exit(CheckLeaks(m.Run))
}

// CheckLeaks runs run and then waits up to 5 s for the goroutines and file
// descriptors it started to go away. It prints what is left and returns 1
// if anything is.
func CheckLeaks(run func() int) int {
	warmUp()
	fds0 := openFDs()
	code := run()
	if code != 0 {
		return code
	}
	var gs []string
	var fds []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		gs, fds = leakedGoroutines(), newFDs(fds0)
		if len(gs) == 0 && len(fds) == 0 {
			return 0
		}
	}
	for _, g := range gs {
		fmt.Fprintf(os.Stderr, "leaked goroutine:\n%s\n\n", g)
	}
	for _, f := range fds {
		fmt.Fprintf(os.Stderr, "leaked file descriptor: %s\n", f)
	}
	fmt.Fprintf(os.Stderr, "FAIL: %d goroutines and %d file descriptors leaked\n", len(gs), len(fds))
	return 1
}

// warmUp opens the runtime's network poller (its epoll and eventfd live for
// the whole process) before the baseline is taken.
func warmUp() {
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
	}
}

// ignored goroutines belong to the runtime or the testing package and live
// for the whole process.
var ignored = []string{
	"testing.(*M).",
	"testing.tRunner",
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
	"runtime.goexit",
	"created by runtime.gc",
	"runtime.ReadTrace",
	"testenv.CheckLeaks",
}

func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if g == "" || isIgnored(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

func isIgnored(g string) bool {
	for _, s := range ignored {
		if strings.Contains(g, s) && !strings.Contains(g, "created by github.com/tcpteardown") {
			return true
		}
	}
	return false
}

func openFDs() map[string]string {
	m := map[string]string{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil {
			m[e.Name()] = target
		}
	}
	return m
}

func newFDs(before map[string]string) []string {
	var out []string
	for fd, target := range openFDs() {
		if before[fd] == target {
			continue
		}
		if strings.HasPrefix(target, "/proc/") && strings.HasSuffix(target, "/fd") {
			continue // the ReadDir of /proc/self/fd itself
		}
		out = append(out, fd+" -> "+target)
	}
	sort.Strings(out)
	return out
}
