//go:build !linux

package sys

import "fmt"

// TCPInfoData stands in for unix.TCPInfo where the platform has none.
type TCPInfoData struct{}

func notSupported(op string) error { return fmt.Errorf("%s: %w", op, ErrNotSupported) }

func SetLinger(fd int, on bool, sec int) error { return notSupported("SO_LINGER") }
func GetLinger(fd int) (bool, int, error)      { return false, 0, notSupported("SO_LINGER") }
func TCPInfo(fd int) (*TCPInfoData, error)     { return nil, notSupported("TCP_INFO") }
func OutQ(fd int) (int, error)                 { return 0, notSupported("SIOCOUTQ") }
func OutQNSD(fd int) (int, error)              { return 0, notSupported("SIOCOUTQNSD") }
func InQ(fd int) (int, error)                  { return 0, notSupported("SIOCINQ") }
func Shutdown(fd, how int) error               { return notSupported("shutdown") }
func SetInt(fd, level, opt, v int) error       { return notSupported("setsockopt") }
func GetInt(fd, level, opt int) (int, error)   { return 0, notSupported("getsockopt") }
