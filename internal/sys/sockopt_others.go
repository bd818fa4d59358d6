//go:build !linux

package sys

import "fmt"

// TCPInfoData stands in for unix.TCPInfo where the platform has none.
type TCPInfoData struct{}

func notSupported(op string) error { return fmt.Errorf("%s: %w", op, ErrNotSupported) }

var (
	SockOpts = map[string][2]int{}
	Ioctls   = map[string]uint{}
)

func SetInt(fd, level, opt, v int) error          { return notSupported("setsockopt") }
func GetInt(fd, level, opt int) (int, error)      { return 0, notSupported("getsockopt") }
func SetSockInt(fd int, name string, v int) error { return notSupported("setsockopt") }
func Linger(fd int, on bool, sec int) error       { return notSupported("SO_LINGER") }
func GetLinger(fd int) (bool, int, error)         { return false, 0, notSupported("SO_LINGER") }
func SockError(fd int) error                      { return notSupported("getsockopt") }
func TCPInfo(fd int) (*TCPInfoData, error)        { return nil, notSupported("TCP_INFO") }
func TCPState(fd int) (uint8, error)              { return 0, notSupported("TCP_INFO") }
func IoctlInt(fd int, req uint) (int, error)      { return 0, notSupported("ioctl") }
func OutQ(fd int) (int, error)                    { return 0, notSupported("SIOCOUTQ") }
func OutQNSD(fd int) (int, error)                 { return 0, notSupported("SIOCOUTQNSD") }
func InQ(fd int) (int, error)                     { return 0, notSupported("SIOCINQ") }
