package capture_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// A program started while a capture is open (the lab starts its children
// then) must not inherit the packet socket: it would keep the ring, and
// the right to read every packet of the interface, alive after Close.
func TestChildDoesNotInheritPacketSocket(t *testing.T) {
	testenv.RequireRoot(t)
	c, err := capture.Open(&capture.Config{Ports: []uint16{1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sockets := packetSockets(t)
	if len(sockets) == 0 {
		t.Fatal("no AF_PACKET socket open during the capture: nothing to check")
	}
	// The child lists the sockets it holds, as "socket:[inode]".
	out, err := exec.Command("sh", "-c", "ls -l /proc/$$/fd").CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, s := range sockets {
		if strings.Contains(string(out), s) {
			t.Errorf("the child inherited the packet socket %s:\n%s", s, out)
		}
	}
}

// packetSockets returns the "socket:[inode]" names of this process's
// AF_PACKET sockets.
func packetSockets(t *testing.T) []string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		d, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_DOMAIN)
		if err != nil || d != syscall.AF_PACKET {
			continue
		}
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) == nil {
			names = append(names, fmt.Sprintf("socket:[%d]", st.Ino))
		}
	}
	return names
}
