package lab_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/lab"
)

// A file named on the command line must be a regular file: a FIFO with no
// writer once made `lab run` block in open(2) forever, deaf to SIGTERM,
// and /dev/zero is an endless line.
func TestLookupRefusesFIFOAndDevices(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.scn")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := lab.Lookup(name); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("Lookup(%s) = %v, want a refusal", name, err)
			}
		case <-time.After(10 * time.Second): // a bound for a hang, not a synchronisation
			t.Fatalf("Lookup(%s) still blocked after 10 s", name)
		}
	}
}
