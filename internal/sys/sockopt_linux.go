package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// SetLinger sets SO_LINGER on fd. on=false restores the default (close
// returns at once, the kernel finishes in the background).
func SetLinger(fd int, on bool, sec int) error {
	l := unix.Linger{Linger: int32(sec)}
	if on {
		l.Onoff = 1
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l))
}

// GetLinger reads SO_LINGER.
func GetLinger(fd int) (on bool, sec int, err error) {
	l, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
	if err != nil {
		return false, 0, os.NewSyscallError("getsockopt", err)
	}
	return l.Onoff != 0, int(l.Linger), nil
}

// TCPInfo reads TCP_INFO.
func TCPInfo(fd int) (*unix.TCPInfo, error) {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return nil, os.NewSyscallError("getsockopt", err)
	}
	return ti, nil
}

// OutQ is SIOCOUTQ: bytes in the send queue not yet acknowledged by the peer
// (unacked + unsent).
func OutQ(fd int) (int, error) { return ioctlInt(fd, unix.SIOCOUTQ) }

// OutQNSD is SIOCOUTQNSD: bytes in the send queue not yet sent at all.
func OutQNSD(fd int) (int, error) { return ioctlInt(fd, unix.SIOCOUTQNSD) }

// InQ is SIOCINQ: bytes received and not yet read by the application.
func InQ(fd int) (int, error) { return ioctlInt(fd, unix.SIOCINQ) }

func ioctlInt(fd int, req uint) (int, error) {
	v, err := unix.IoctlGetInt(fd, req)
	if err != nil {
		return 0, os.NewSyscallError("ioctl", err)
	}
	return v, nil
}

// Shutdown calls shutdown(2); how is unix.SHUT_RD, SHUT_WR or SHUT_RDWR.
func Shutdown(fd, how int) error {
	return os.NewSyscallError("shutdown", unix.Shutdown(fd, how))
}

// SetInt sets an integer socket option.
func SetInt(fd, level, opt, v int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, level, opt, v))
}

// GetInt reads an integer socket option.
func GetInt(fd, level, opt int) (int, error) {
	v, err := unix.GetsockoptInt(fd, level, opt)
	return v, os.NewSyscallError("getsockopt", err)
}
