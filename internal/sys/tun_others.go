//go:build !linux

package sys

// OpenTUN needs Linux's /dev/net/tun.
func OpenTUN(name string) (int, error) { return -1, notSupported("tun") }

// CanReadWrite is only needed where OpenTUN works.
func CanReadWrite(path string) bool { return false }
