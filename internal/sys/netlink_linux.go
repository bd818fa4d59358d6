package sys

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Netlink constants (include/uapi/linux/netlink.h, sock_diag.h).
const (
	NETLINK_SOCK_DIAG = unix.NETLINK_SOCK_DIAG
	NLM_F_REQUEST     = unix.NLM_F_REQUEST
	NLM_F_DUMP        = unix.NLM_F_DUMP
	NLM_F_DUMP_INTR   = unix.NLM_F_DUMP_INTR
	NLMSG_DONE        = unix.NLMSG_DONE
	NLMSG_ERROR       = unix.NLMSG_ERROR
	SizeofNlMsghdr    = unix.SizeofNlMsghdr
)

// NetlinkSocket opens a netlink socket of the given protocol
// (NETLINK_SOCK_DIAG …) in the calling thread's network namespace,
// close-on-exec.
func NetlinkSocket(proto int) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	return fd, os.NewSyscallError("socket", err)
}

// SendToKernel sends one netlink message to the kernel (sendto(2) to
// netlink port 0).
func SendToKernel(fd int, msg []byte) error {
	return os.NewSyscallError("sendto", unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}))
}

// SetRecvTimeout sets SO_RCVTIMEO: a blocking receive fails with EAGAIN
// after d.
func SetRecvTimeout(fd int, d time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	return os.NewSyscallError("setsockopt", unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
}
