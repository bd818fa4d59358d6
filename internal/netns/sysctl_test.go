package netns_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/internal/netns"
)

// FuzzCheckSysctlName: a name the check accepts leads, joined onto
// /proc/sys the naive way or cleaned, to a file under /proc/sys/net.
func FuzzCheckSysctlName(f *testing.F) {
	for _, s := range []string{"net/ipv4/tcp_fin_timeout", "net/../etc/passwd", "net/ipv4/conf/lo/forwarding", "net/./x", "net//x", "/net/x", "net/x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if netns.CheckSysctlName(name) != nil {
			return
		}
		p := filepath.Join("/proc/sys", name)
		if p != "/proc/sys/"+name || !strings.HasPrefix(p, "/proc/sys/net/") {
			t.Fatalf("accepted %q, which leads to %s", name, p)
		}
	})
}

// TestCheckSysctlValue: a value is printable words separated by single
// spaces (a vector such as ip_local_port_range's), nothing that could end
// the write early or hide a second value.
func TestCheckSysctlValue(t *testing.T) {
	for _, v := range []string{"2", "40000 40099", "4096 131072 6291456", "reno"} {
		if err := netns.CheckSysctlValue(v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	for _, v := range []string{"", "1\n2", " 1", "1 ", "1  2", "a\tb", "\x00", strings.Repeat("9", 65)} {
		if err := netns.CheckSysctlValue(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
