//go:build linux

package netns

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// openSysctl is the last line: even a name CheckSysctlName would refuse
// cannot leave /proc/sys/net (RESOLVE_BENEATH answers EXDEV).
func TestOpenSysctlStaysBeneath(t *testing.T) {
	for _, name := range []string{"net/../../../etc/passwd", "net/../kernel/hostname", "net//proc/self/root/etc/passwd"} {
		f, err := openSysctl(name, unix.O_RDONLY)
		if err == nil {
			f.Close()
			t.Errorf("openSysctl(%q) opened a file", name)
			continue
		}
		if !errors.Is(err, unix.EXDEV) {
			t.Errorf("openSysctl(%q) = %v, want EXDEV", name, err)
		}
	}
}
