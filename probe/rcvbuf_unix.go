//go:build unix

package probe

import "syscall"

// rcvbufControl sets SO_RCVBUF before connect: the window scale and the
// first window are chosen at the SYN, so a buffer shrunk after the
// handshake sits below the window already advertised, and the kernel drops
// the segments that no longer fit (measured: a retransmission after the
// 200 ms minimum RTO, again and again).
func rcvbufControl(n int) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		}); cerr != nil {
			return cerr
		}
		return err
	}
}
