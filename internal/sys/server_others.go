//go:build !linux

package sys

// ShutWR is the how of shutdown(2) that ends the sending direction only.
const ShutWR = 1

func DropSYN(fd int) error { return notSupported("SO_ATTACH_FILTER") }

func DupFD(fd int) (int, error)            { return -1, notSupported("dup") }
func ReadFD(fd int, p []byte) (int, error) { return 0, notSupported("read") }
func CloseFD(fd int) error                 { return notSupported("close") }
func ShutWriteFD(fd int) error             { return notSupported("shutdown") }

func SetMinTTL(fd, ttl int) error     { return notSupported("IP_MINTTL") }
func ListenQueue(fd int) (int, error) { return 0, notSupported("TCP_INFO") }
