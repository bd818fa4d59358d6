//go:build !linux

package sys

import (
	"net/netip"
	"time"
)

// The raw socket calls exist only on Linux; elsewhere every one fails with
// an error wrapping ErrNotSupported.

const (
	Stream = 1
	Dgram  = 2
)

// The hows of Shutdown.
const (
	ShutRD   = 0
	ShutWR   = 1
	ShutRDWR = 2
)

func Socket(v6 bool, typ int) (int, error)              { return -1, notSupported("socket") }
func Bind(fd int, a netip.AddrPort) error               { return notSupported("bind") }
func Listen(fd, backlog int) error                      { return notSupported("listen") }
func Accept(fd int) (int, netip.AddrPort, error)        { return -1, netip.AddrPort{}, notSupported("accept") }
func Connect(fd int, a netip.AddrPort) error            { return notSupported("connect") }
func Disconnect(fd int) error                           { return notSupported("connect") }
func SockName(fd int) (netip.AddrPort, error)           { return netip.AddrPort{}, notSupported("getsockname") }
func PeerName(fd int) (netip.AddrPort, error)           { return netip.AddrPort{}, notSupported("getpeername") }
func Read(fd int, p []byte) (int, error)                { return 0, notSupported("read") }
func Write(fd int, p []byte) (int, error)               { return 0, notSupported("write") }
func Send(fd int, p []byte, dontwait bool) (int, error) { return 0, notSupported("send") }
func SendTo(fd int, p []byte, a netip.AddrPort) error   { return notSupported("sendto") }
func RecvFrom(fd int, p []byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, notSupported("recvfrom")
}
func Close(fd int) error                                     { return notSupported("close") }
func SetNonblock(fd int, on bool) error                      { return notSupported("fcntl") }
func Poll(fd int, write bool, d time.Duration) (bool, error) { return false, notSupported("poll") }
func Shutdown(fd, how int) error                             { return notSupported("shutdown") }
func Dup(fd int) (int, error)                                { return -1, notSupported("dup") }
func RawRead(fd int, p []byte) (int, error)                  { return 0, notSupported("read") }
func RawClose(fd int) error                                  { return notSupported("close") }
func ErrnoName(err error) string                             { return "" }
func SetSigpipeDefault() error                               { return notSupported("rt_sigaction") }
