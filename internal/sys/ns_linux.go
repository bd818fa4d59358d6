package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// CLONE_NEWNET is the namespace type of a network namespace;
// NS_GET_NSTYPE the ioctl that asks a namespace descriptor its type
// (Linux 4.11).
const (
	CLONE_NEWNET  = unix.CLONE_NEWNET
	NS_GET_NSTYPE = unix.NS_GET_NSTYPE
)

// Setns is setns(2): it moves the calling thread (only it) into the
// namespace fd refers to. Callers run it on a thread of their own
// (internal/netns.DoFD).
func Setns(fd, nstype int) error {
	return os.NewSyscallError("setns", unix.Setns(fd, nstype))
}

// Unshare is unshare(2): the calling thread (only it) leaves the namespaces
// flags names for new ones. Callers run it on a thread of their own
// (internal/netns.OnOwnThread).
func Unshare(flags int) error {
	return os.NewSyscallError("unshare", unix.Unshare(flags))
}
