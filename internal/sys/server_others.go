//go:build !linux

package sys

// ShutWR is the how of shutdown(2) that ends the sending direction only.
const ShutWR = 1

func DropSYN(fd int) error { return notSupported("SO_ATTACH_FILTER") }
