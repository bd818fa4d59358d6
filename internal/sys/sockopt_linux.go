package sys

import (
	"os"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Socket option levels and names the owner packages set with SetInt.
const (
	SOL_SOCKET       = unix.SOL_SOCKET
	IPPROTO_IP       = unix.IPPROTO_IP
	IPPROTO_IPV6     = unix.IPPROTO_IPV6
	IP_MINTTL        = unix.IP_MINTTL
	IPV6_MINHOPCOUNT = unix.IPV6_MINHOPCOUNT
)

// TCP_LISTEN is tcpi_state of a listening socket (tcp_states.h).
const TCP_LISTEN = unix.BPF_TCP_LISTEN

// SetInt sets an integer socket option.
func SetInt(fd, level, opt, v int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, level, opt, v))
}

// GetInt reads an integer socket option.
func GetInt(fd, level, opt int) (int, error) {
	v, err := unix.GetsockoptInt(fd, level, opt)
	return v, os.NewSyscallError("getsockopt", err)
}

// Linger sets SO_LINGER on fd. on=false restores the default (close
// returns at once, the kernel finishes in the background); {on, 0} makes
// close send RST.
func Linger(fd int, on bool, sec int) error {
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

// SockError reads and clears SO_ERROR: the result of a non-blocking
// connect, or an error the kernel queued (ECONNREFUSED on UDP). The queued
// error is returned as the bare errno: it is a value read, not a failure of
// the call.
func SockError(fd int) error {
	v, err := GetInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

// AttachFilter attaches a classic BPF socket filter (SO_ATTACH_FILTER):
// the kernel drops every packet for which prog returns 0.
func AttachFilter(fd int, prog []bpf.RawInstruction) error {
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fp := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	return os.NewSyscallError("setsockopt", unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp))
}

// TCPInfo reads TCP_INFO.
func TCPInfo(fd int) (*unix.TCPInfo, error) {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return nil, os.NewSyscallError("getsockopt", err)
	}
	return ti, nil
}

// TCPState returns tcpi_state of fd (a tcp_states.h number), readable
// without privileges.
func TCPState(fd int) (uint8, error) {
	ti, err := TCPInfo(fd)
	if err != nil {
		return 0, err
	}
	return ti.State, nil
}

// OutQ is SIOCOUTQ: bytes in the send queue not yet acknowledged by the peer
// (unacked + unsent).
func OutQ(fd int) (int, error) { return IoctlInt(fd, unix.SIOCOUTQ) }

// OutQNSD is SIOCOUTQNSD: bytes in the send queue not yet sent at all.
func OutQNSD(fd int) (int, error) { return IoctlInt(fd, unix.SIOCOUTQNSD) }

// InQ is SIOCINQ: bytes received and not yet read by the application.
func InQ(fd int) (int, error) { return IoctlInt(fd, unix.SIOCINQ) }

// SockOpts are the integer options the lab's setsockopt step knows, by name.
var SockOpts = map[string][2]int{
	"SO_RCVBUF":    {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_SNDBUF":    {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"SO_REUSEADDR": {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"SO_REUSEPORT": {unix.SOL_SOCKET, unix.SO_REUSEPORT},
	"SO_KEEPALIVE": {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"TCP_NODELAY":  {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	// The timers that find a vanished peer (the lab's wire scenarios).
	"TCP_USER_TIMEOUT": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
	"TCP_KEEPIDLE":     {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
	"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	"TCP_LINGER2":      {unix.IPPROTO_TCP, unix.TCP_LINGER2},
}

// Ioctls are the queue ioctls of the lab's ioctl step, by name.
var Ioctls = map[string]uint{
	"SIOCINQ":     unix.SIOCINQ,
	"SIOCOUTQ":    unix.SIOCOUTQ,
	"SIOCOUTQNSD": unix.SIOCOUTQNSD,
}

// SetSockInt is SetInt with the option given by its lab name (SO_RCVBUF …,
// SockOpts); an unknown name fails with ENOPROTOOPT.
func SetSockInt(fd int, name string, v int) error {
	o, ok := SockOpts[name]
	if !ok {
		return os.NewSyscallError("setsockopt", unix.ENOPROTOOPT)
	}
	return SetInt(fd, o[0], o[1], v)
}
