package echo

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
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

// addrError is the one line a user sees when the client cannot connect or
// the server cannot listen: what failed, where, the kernel's words, and
// what to do when the errno is the usual one (refused: no server; in use:
// another server).
type addrError struct {
	op    string // "client: connect", "serve: listen"
	addr  string
	err   error
	errno syscall.Errno // the errno the hint answers
	hint  string
}

func (e *addrError) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.op, e.addr, kernelText(e.err))
	if errors.Is(e.err, e.errno) {
		msg += " — " + e.hint
	}
	return msg
}

func (e *addrError) Unwrap() error { return e.err }
