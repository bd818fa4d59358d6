package sys

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The lab drives sockets with raw system calls so that every call of a
// scenario is exactly one call to the kernel and its errno reaches the
// timeline by name (ECONNRESET, EPIPE, EAGAIN). The errors returned here are
// bare unix.Errno values (not wrapped) for that reason: the lab turns them
// into names with ErrnoName.

// Socket creates a socket of the given type (unix.SOCK_STREAM or
// unix.SOCK_DGRAM) for IPv4 or IPv6, close-on-exec.
func Socket(v6 bool, typ int) (int, error) {
	fam := unix.AF_INET
	if v6 {
		fam = unix.AF_INET6
	}
	return unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
}

// Stream and Dgram are the socket types of Socket.
const (
	Stream = unix.SOCK_STREAM
	Dgram  = unix.SOCK_DGRAM
)

func sockaddr(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// Bind binds fd to a.
func Bind(fd int, a netip.AddrPort) error { return unix.Bind(fd, sockaddr(a)) }

// Listen marks fd as a listener with the given backlog.
func Listen(fd, backlog int) error { return unix.Listen(fd, backlog) }

// Accept takes a connection from the accept queue, close-on-exec.
func Accept(fd int) (int, netip.AddrPort, error) {
	nfd, sa, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return nfd, addrPort(sa), nil
}

// Connect connects fd to a.
func Connect(fd int, a netip.AddrPort) error { return unix.Connect(fd, sockaddr(a)) }

// Disconnect dissolves a UDP socket's association: connect(2) with
// AF_UNSPEC, as connect(2)'s manual describes.
func Disconnect(fd int) error {
	sa := unix.RawSockaddrAny{}
	sa.Addr.Family = unix.AF_UNSPEC
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(unix.RawSockaddrInet6{}))
	if e != 0 {
		return e
	}
	return nil
}

// SockName and PeerName return the local and remote address of fd.
func SockName(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	return addrPort(sa), err
}

// PeerName returns the address fd is connected to.
func PeerName(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getpeername(fd)
	return addrPort(sa), err
}

// Read is read(2).
func Read(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// Write is write(2). A write to a reset connection raises SIGPIPE in the
// kernel; in this Go process the runtime ignores it (it only acts on SIGPIPE
// for descriptors 1 and 2), so the call returns EPIPE as if SIGPIPE were
// ignored, which is what the seed's server does.
func Write(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// SendTo is sendto(2) to a.
func SendTo(fd int, p []byte, a netip.AddrPort) error { return unix.Sendto(fd, p, 0, sockaddr(a)) }

// RecvFrom is recvfrom(2).
func RecvFrom(fd int, p []byte) (int, netip.AddrPort, error) {
	n, sa, err := unix.Recvfrom(fd, p, 0)
	return n, addrPort(sa), err
}

// Close is close(2). With SO_LINGER {1,N} on a blocking socket it blocks,
// and any signal reaching the thread ends that wait early (the kernel's
// sk_stream_wait_close stops on a pending signal, and close still returns
// 0). A Go process receives signals all the time (SIGURG preemption,
// SIGCHLD of child processes), so the call runs on a locked thread with
// every signal blocked; they are delivered when the mask is restored.
func Close(fd int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &all, &old); err != nil {
		return unix.Close(fd)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	return unix.Close(fd)
}

// Dup duplicates fd, close-on-exec.
func Dup(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0) }

// SetNonblock sets or clears O_NONBLOCK.
func SetNonblock(fd int, on bool) error { return unix.SetNonblock(fd, on) }

// Poll waits up to d for fd to be readable (write=false) or writable. It
// reports false when d passed first. Readability includes EOF and errors.
func Poll(fd int, write bool, d time.Duration) (bool, error) {
	ev := int16(unix.POLLIN)
	if write {
		ev = unix.POLLOUT
	}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: ev}}
		n, err := unix.Poll(fds, int((left+time.Millisecond-1)/time.Millisecond))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("poll", err)
		}
		return n > 0, nil
	}
}

// TCPState returns tcpi_state of fd (a tcp_states.h number), readable
// without privileges.
func TCPState(fd int) (uint8, error) {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, err
	}
	return ti.State, nil
}

// Linger sets SO_LINGER without wrapping the errno.
func Linger(fd int, on bool, sec int) error {
	l := unix.Linger{Linger: int32(sec)}
	if on {
		l.Onoff = 1
	}
	return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l)
}

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

// IoctlInt runs an integer ioctl without wrapping the errno.
func IoctlInt(fd int, req uint) (int, error) { return unix.IoctlGetInt(fd, req) }

// ErrnoName returns the symbolic name of err's errno ("ECONNRESET"), or ""
// when err carries none.
func ErrnoName(err error) string {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return ""
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "errno" + itoa(int(e))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// SetSigpipeDefault restores the kernel's default action for SIGPIPE
// (terminate) behind the Go runtime's back, with rt_sigaction(2). The lab
// calls it only in a child process that must die the way a C program with
// default signal handling dies (C05, scenario sigpipe-default).
func SetSigpipeDefault() error {
	var act [4]uintptr // sa_handler = SIG_DFL (0), flags, restorer, mask: all zero
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGPIPE), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	if e != 0 {
		return os.NewSyscallError("rt_sigaction", e)
	}
	return nil
}

// Send is send(2); dontwait adds MSG_DONTWAIT so that one call never blocks
// whatever O_NONBLOCK says. It returns how many bytes the kernel took.
func Send(fd int, p []byte, dontwait bool) (int, error) {
	fl := 0
	if dontwait {
		fl = unix.MSG_DONTWAIT
	}
	return unix.SendmsgN(fd, p, nil, nil, fl)
}

// SockError reads and clears SO_ERROR: the result of a non-blocking
// connect, or an error the kernel queued (ECONNREFUSED on UDP).
func SockError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

// SetSockInt sets an integer socket option by its lab name (SO_RCVBUF …)
// without wrapping the errno.
func SetSockInt(fd int, name string, v int) error {
	o, ok := SockOpts[name]
	if !ok {
		return unix.ENOPROTOOPT
	}
	return unix.SetsockoptInt(fd, o[0], o[1], v)
}
