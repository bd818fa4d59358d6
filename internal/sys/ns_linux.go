package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// CLONE_NEWNET is the namespace type of a network namespace.
const CLONE_NEWNET = unix.CLONE_NEWNET

// Setns is setns(2): it moves the calling thread (only it) into the
// namespace fd refers to. Callers run it on a thread of their own
// (internal/netns.DoFD).
func Setns(fd, nstype int) error {
	return os.NewSyscallError("setns", unix.Setns(fd, nstype))
}
