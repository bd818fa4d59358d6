//go:build !linux

package sys

import (
	"net/netip"
	"time"
)

// The lab's raw socket calls exist only on Linux; elsewhere every one fails
// with an error wrapping ErrNotSupported.

const (
	Stream = 1
	Dgram  = 2
)

var (
	SockOpts = map[string][2]int{}
	Ioctls   = map[string]uint{}
)

func Socket(v6 bool, typ int) (int, error)            { return -1, notSupported("socket") }
func Bind(fd int, a netip.AddrPort) error             { return notSupported("bind") }
func Listen(fd, backlog int) error                    { return notSupported("listen") }
func Accept(fd int) (int, netip.AddrPort, error)      { return -1, netip.AddrPort{}, notSupported("accept") }
func Connect(fd int, a netip.AddrPort) error          { return notSupported("connect") }
func Disconnect(fd int) error                         { return notSupported("connect") }
func SockName(fd int) (netip.AddrPort, error)         { return netip.AddrPort{}, notSupported("getsockname") }
func PeerName(fd int) (netip.AddrPort, error)         { return netip.AddrPort{}, notSupported("getpeername") }
func Read(fd int, p []byte) (int, error)              { return 0, notSupported("read") }
func Write(fd int, p []byte) (int, error)             { return 0, notSupported("write") }
func SendTo(fd int, p []byte, a netip.AddrPort) error { return notSupported("sendto") }
func RecvFrom(fd int, p []byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, notSupported("recvfrom")
}
func Close(fd int) error                                     { return notSupported("close") }
func Dup(fd int) (int, error)                                { return -1, notSupported("dup") }
func SetNonblock(fd int, on bool) error                      { return notSupported("fcntl") }
func Poll(fd int, write bool, d time.Duration) (bool, error) { return false, notSupported("poll") }
func TCPState(fd int) (uint8, error)                         { return 0, notSupported("TCP_INFO") }
func Linger(fd int, on bool, sec int) error                  { return notSupported("SO_LINGER") }
func IoctlInt(fd int, req uint) (int, error)                 { return 0, notSupported("ioctl") }
func ErrnoName(err error) string                             { return "" }
func SetSigpipeDefault() error                               { return notSupported("rt_sigaction") }

func Send(fd int, p []byte, dontwait bool) (int, error) { return 0, notSupported("send") }
func SockError(fd int) error                            { return notSupported("getsockopt") }
func SetSockInt(fd int, name string, v int) error       { return notSupported("setsockopt") }
