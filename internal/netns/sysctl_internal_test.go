//go:build linux

package netns

import (
	"errors"
	"syscall"
	"testing"

	"github.com/tcpteardown/teardown/internal/sys"
)

// openSysctl is the last line: even a name CheckSysctlName would refuse
// cannot leave /proc/sys/net (RESOLVE_BENEATH answers EXDEV).
func TestOpenSysctlStaysBeneath(t *testing.T) {
	for _, name := range []string{"net/../../../etc/passwd", "net/../kernel/hostname", "net//proc/self/root/etc/passwd"} {
		f, err := openSysctl(name, sys.O_RDONLY)
		if err == nil {
			f.Close()
			t.Errorf("openSysctl(%q) opened a file", name)
			continue
		}
		if !errors.Is(err, syscall.EXDEV) {
			t.Errorf("openSysctl(%q) = %v, want EXDEV", name, err)
		}
	}
}
