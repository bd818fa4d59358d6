package sys

import (
	"errors"
	"syscall"
)

// Control runs fn with the descriptor of c, which must be a syscall.Conn
// (*net.TCPConn, *net.UDPConn, *net.TCPListener …). fn must not keep fd.
func Control(c any, fn func(fd int) error) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return errors.New("connection does not expose its descriptor (not a syscall.Conn)")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var inner error
	if err := rc.Control(func(fd uintptr) { inner = fn(int(fd)) }); err != nil {
		return err
	}
	return inner
}
