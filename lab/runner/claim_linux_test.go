package runner_test

import (
	"context"
	"maps"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/runner"
)

// The state tracepoints are global, so a run's tracer would see another
// namespace's sockets on its ports: while a scenario runs in its namespace,
// its port is also held on the host, where every other lab process (and any
// host program) finds it taken; it is free again afterwards.
func TestRunClaimsItsPortsOnTheHost(t *testing.T) {
	testenv.RequireRoot(t) // namespaces
	const text = `scenario claim
title a listener held for a while
claims C01
actor client
actor server

server: listen
client: connect server
server: accept
client: sleep 500ms
client: close
server: close
`
	s, err := lab.Parse("claim.scn", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []lab.Result, 1)
	go func() { done <- runner.RunScenario(context.Background(), s, nil) }()
	// Scan the host's ports until the run ends: a fixed wait for "inside
	// the client's sleep" missed it when setup took longer under load.
	taken := map[uint16]bool{}
	var res []lab.Result
	for res == nil {
		select {
		case res = <-done:
		default:
			maps.Copy(taken, hostTaken(t))
		}
	}
	port := connectPort(t, res)
	if !taken[port] {
		t.Errorf("port %d of the run was free on the host while the run used it", port)
	}
	if hostTaken(t)[port] {
		t.Errorf("port %d is still held on the host after the run", port)
	}
}

// hostTaken lists the ports of 20000–29999 that cannot be bound on the
// host's 127.0.0.1 right now.
func hostTaken(t *testing.T) map[uint16]bool {
	taken := map[uint16]bool{}
	for p := 20000; p < 30000; p++ {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if syscall.Bind(fd, &syscall.SockaddrInet4{Port: p, Addr: [4]byte{127, 0, 0, 1}}) != nil {
			taken[uint16(p)] = true
		}
		syscall.Close(fd)
	}
	return taken
}

// connectPort is the port the client connected to, from its connect call.
func connectPort(t *testing.T, res []lab.Result) uint16 {
	if len(res) != 1 || res[0].Err != "" {
		t.Fatalf("run: %+v", res)
	}
	for _, e := range res[0].Events {
		if e.Call != nil && e.Call.Op == "connect" {
			ap, err := netip.ParseAddrPort(e.Call.Args)
			if err != nil {
				t.Fatalf("connect args %q: %v", e.Call.Args, err)
			}
			return ap.Port()
		}
	}
	t.Fatal("no connect call")
	return 0
}
