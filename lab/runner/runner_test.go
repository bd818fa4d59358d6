package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/runner"
)

// blocking is a scenario whose steps block for 30 s: an in-process read,
// a read in a child process and a sleep.
const blocking = `scenario blocking
title every actor blocks for 30 s
actor client
actor server process
actor idle
server: listen
client: connect server
server: accept
client: read wait=30s
server: read wait=30s
idle: sleep 30s
expect call server accept#1 = ok
`

// TestCancelStopsPromptly cancels a run whose steps all block for 30 s and
// checks that it returns within a few seconds, says it was interrupted and
// leaves nothing behind: no child process, no tracefs instance, no
// descriptor (sockets, namespace, capture, pipes).
func TestCancelStopsPromptly(t *testing.T) {
	s, err := lab.Parse("blocking.scn", strings.NewReader(blocking))
	if err != nil {
		t.Fatal(err)
	}
	fds := countFDs(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the run is well inside its blocking steps (or, on a slow
	// machine, still setting up: both must end promptly).
	timer := time.AfterFunc(500*time.Millisecond, cancel)
	defer timer.Stop()
	t0 := time.Now()
	res := runner.RunAll(ctx, []*lab.Scenario{s}, nil, 1, nil)
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("a cancelled run took %v; its steps block for 30 s and must be cut short", d)
	}
	if len(res) != 1 || res[0].Status != lab.StatusInterrupted {
		t.Errorf("status %q, want %q (%+v)", res[0].Status, lab.StatusInterrupted, res[0].Reason)
	}
	if kids := children(t); len(kids) > 0 {
		t.Errorf("child processes left: %v", kids)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("%d descriptors open after the run, %d before", got, fds)
	}
	if testenv.IsRoot() {
		if left := ourInstances(t); len(left) > 0 {
			t.Errorf("tracefs instances left: %v", left)
		}
	}
}

// TestCancelledBeforeStart: scenarios that had not started when the run
// was cancelled are reported interrupted, and nothing runs.
func TestCancelledBeforeStart(t *testing.T) {
	s, err := lab.Parse("blocking.scn", strings.NewReader(blocking))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := runner.RunAll(ctx, []*lab.Scenario{s, s}, nil, 1, nil)
	for _, r := range res {
		if r.Status != lab.StatusInterrupted || len(r.Events) > 0 {
			t.Errorf("%s: status %q with %d events; want interrupted with none", r.Name, r.Status, len(r.Events))
		}
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

// children lists the processes whose parent is this test.
func children(t *testing.T) []string {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so split after ")".
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == me {
			out = append(out, e.Name())
		}
	}
	return out
}

// ourInstances lists the tracefs instances of this process
// (instances/teardown-<pid>-<n>).
func ourInstances(t *testing.T) []string {
	t.Helper()
	ents, _ := os.ReadDir("/sys/kernel/tracing/instances")
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "teardown-"+strconv.Itoa(os.Getpid())+"-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestPcapFilesAreSafe: -pcap writes one file per run with
// safefile.CreateIn: a link planted at the scenario's file name is neither
// followed nor replaced, a second run of the same scenario gets a new
// numbered file, and a scenario name that would lead out of the directory
// is refused.
func TestPcapFilesAreSafe(t *testing.T) {
	testenv.RequireRoot(t)
	s, err := lab.Lookup("seed-close")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "seed-close.pcap")); err != nil {
		t.Fatal(err)
	}
	o := &runner.Options{PcapDir: dir}
	var paths []string
	for range 2 {
		res := runner.RunScenario(context.Background(), s, o)
		if res[0].Err != "" || res[0].Pcap == "" {
			t.Fatalf("run: error %q, pcap %q", res[0].Err, res[0].Pcap)
		}
		paths = append(paths, filepath.Base(res[0].Pcap))
	}
	if want := []string{"seed-close-2.pcap", "seed-close-3.pcap"}; strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("pcap files %v, want %v", paths, want)
	}
	for _, p := range paths {
		if st, err := os.Stat(filepath.Join(dir, p)); err != nil || st.Size() <= 24 {
			t.Errorf("%s: %v, want a pcap with packets (size %d)", p, err, size(st))
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}

	escape := *s
	escape.Name = "../escape"
	res := runner.RunScenario(context.Background(), &escape, o)
	if !strings.Contains(res[0].Err, "pcap") || res[0].Status != lab.StatusFailed {
		t.Errorf("scenario named %q: status %q, error %q; want a pcap error", escape.Name, res[0].Status, res[0].Err)
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(dir), "escape.pcap")); err == nil {
		t.Errorf("a file was written outside the -pcap directory")
	}
}

func size(st os.FileInfo) int64 {
	if st == nil {
		return -1
	}
	return st.Size()
}
