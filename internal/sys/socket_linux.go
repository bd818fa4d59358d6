package sys

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket calls on descriptors the Go runtime does not own: the lab's
// actors, where every call of a scenario is exactly one call to the kernel
// and its errno reaches the timeline by name (ErrnoName), and the server's
// lingering connections. Errors are *os.SyscallError values wrapping the
// errno, so errors.Is(err, syscall.ECONNRESET) and ErrnoName see through
// them.

// Socket creates a socket of the given type (Stream or Dgram) for IPv4 or
// IPv6, close-on-exec.
func Socket(v6 bool, typ int) (int, error) {
	fam := unix.AF_INET
	if v6 {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
	return fd, os.NewSyscallError("socket", err)
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
func Bind(fd int, a netip.AddrPort) error {
	return os.NewSyscallError("bind", unix.Bind(fd, sockaddr(a)))
}

// Listen marks fd as a listener with the given backlog.
func Listen(fd, backlog int) error { return os.NewSyscallError("listen", unix.Listen(fd, backlog)) }

// Accept takes a connection from the accept queue, close-on-exec.
func Accept(fd int) (int, netip.AddrPort, error) {
	nfd, sa, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, netip.AddrPort{}, os.NewSyscallError("accept4", err)
	}
	return nfd, addrPort(sa), nil
}

// Connect connects fd to a.
func Connect(fd int, a netip.AddrPort) error {
	return os.NewSyscallError("connect", unix.Connect(fd, sockaddr(a)))
}

// Disconnect dissolves a UDP socket's association: connect(2) with
// AF_UNSPEC, as connect(2)'s manual describes.
func Disconnect(fd int) error {
	sa := unix.RawSockaddrAny{}
	sa.Addr.Family = unix.AF_UNSPEC
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(unix.RawSockaddrInet6{}))
	return errnoErr("connect", e)
}

// SockName returns the local address of fd.
func SockName(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	return addrPort(sa), os.NewSyscallError("getsockname", err)
}

// PeerName returns the address fd is connected to.
func PeerName(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getpeername(fd)
	return addrPort(sa), os.NewSyscallError("getpeername", err)
}

// Read is read(2); on a blocking descriptor it blocks (the runtime hands
// the goroutine's P to another thread meanwhile). For descriptors that never
// block, RawRead is cheaper.
func Read(fd int, p []byte) (int, error) {
	n, err := unix.Read(fd, p)
	return n, os.NewSyscallError("read", err)
}

// Write is write(2). A write to a reset connection raises SIGPIPE in the
// kernel; in this Go process the runtime ignores it (it only acts on SIGPIPE
// for descriptors 1 and 2), so the call returns EPIPE as if SIGPIPE were
// ignored, which is what the seed's server does.
func Write(fd int, p []byte) (int, error) {
	n, err := unix.Write(fd, p)
	return n, os.NewSyscallError("write", err)
}

// Send is send(2); dontwait adds MSG_DONTWAIT so that one call never blocks
// whatever O_NONBLOCK says. It returns how many bytes the kernel took.
func Send(fd int, p []byte, dontwait bool) (int, error) {
	fl := 0
	if dontwait {
		fl = unix.MSG_DONTWAIT
	}
	n, err := unix.SendmsgN(fd, p, nil, nil, fl)
	return n, os.NewSyscallError("sendmsg", err)
}

// SendTo is sendto(2) to a.
func SendTo(fd int, p []byte, a netip.AddrPort) error {
	return os.NewSyscallError("sendto", unix.Sendto(fd, p, 0, sockaddr(a)))
}

// RecvFrom is recvfrom(2); the address is the zero AddrPort for a sender
// that is not IPv4 or IPv6 (netlink).
func RecvFrom(fd int, p []byte) (int, netip.AddrPort, error) {
	n, sa, err := unix.Recvfrom(fd, p, 0)
	return n, addrPort(sa), os.NewSyscallError("recvfrom", err)
}

// Close is close(2) for a descriptor that may linger. With SO_LINGER {1,N}
// on a blocking socket it blocks, and any signal reaching the thread ends
// that wait early (the kernel's sk_stream_wait_close stops on a pending
// signal, and close still returns 0). A Go process receives signals all the
// time (SIGURG preemption, SIGCHLD of child processes), so the call runs on
// a locked thread with every signal blocked; they are delivered when the
// mask is restored. RawClose is the one-system-call close for descriptors
// whose close never blocks.
func Close(fd int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &all, &old); err != nil {
		return os.NewSyscallError("close", unix.Close(fd))
	}
	defer func() { _ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil) }() // restoring a mask it just read cannot fail
	return os.NewSyscallError("close", unix.Close(fd))
}

// SetNonblock sets or clears O_NONBLOCK.
func SetNonblock(fd int, on bool) error {
	return os.NewSyscallError("fcntl", unix.SetNonblock(fd, on))
}

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
