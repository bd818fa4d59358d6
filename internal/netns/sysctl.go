package netns

import (
	"fmt"
	"strings"
)

// Limits of a sysctl name. The deepest names on Linux 6.18 have five
// components (net/ipv4/conf/all/rp_filter) and the longest is 57 bytes.
const (
	maxSysctlName  = 128
	maxSysctlDepth = 8
	maxSysctlValue = 64
)

// CheckSysctlName reports whether name may name a per-namespace sysctl:
// slash-separated components under net/, each made of [a-z0-9_-] only.
// That excludes "", ".", "..", absolute paths and any character a path
// trick needs; every name under /proc/sys/net fits it (interfaces included:
// lo, all, default, eth0), except those of interfaces named with dots or
// capitals, which a scenario's namespace never has. Whether the sysctl
// exists is for the kernel to say when it is opened.
func CheckSysctlName(name string) error {
	if len(name) > maxSysctlName {
		return fmt.Errorf("sysctl name longer than %d bytes", maxSysctlName)
	}
	parts := strings.Split(name, "/")
	if parts[0] != "net" || len(parts) < 2 {
		return fmt.Errorf("sysctl %q is not under net/ (only per-namespace net/ sysctls may be set)", name)
	}
	if len(parts) > maxSysctlDepth {
		return fmt.Errorf("sysctl %q has more than %d components", name, maxSysctlDepth)
	}
	for _, p := range parts[1:] {
		if !sysctlComponent(p) {
			return fmt.Errorf("sysctl %q: each part between slashes is a non-empty word of a-z, 0-9, _ and -", name)
		}
	}
	return nil
}

func sysctlComponent(p string) bool {
	if p == "" {
		return false
	}
	for _, c := range []byte(p) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckSysctlValue accepts one word of printable ASCII (numbers, on/off,
// algorithm names), at most 64 bytes: a value is written as it is, and a
// sysctl that takes several numbers is not set from a scenario.
func CheckSysctlValue(v string) error {
	if v == "" || len(v) > maxSysctlValue {
		return fmt.Errorf("sysctl value must be 1 to %d bytes, got %d", maxSysctlValue, len(v))
	}
	for _, c := range []byte(v) {
		if c < ' ' || c > '~' {
			return fmt.Errorf("sysctl value %q: printable ASCII only", v)
		}
	}
	// Words separated by single spaces, as /proc/sys prints a vector
	// ("32768 60999" for ip_local_port_range): no newline can end the
	// write early, no blank can hide a second value.
	if strings.Join(strings.Fields(v), " ") != v {
		return fmt.Errorf("sysctl value %q: words separated by single spaces only", v)
	}
	return nil
}
