package echo

import (
	"errors"
	"net"
	"os"
)

// kernelText returns the words the kernel used for err: the errno text of a
// failed system call ("connection reset by peer"), without the "read tcp
// a->b:" prefix Go adds. That is the text the seed's programs print.
func kernelText(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) && se.Err != nil {
		return se.Err.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
