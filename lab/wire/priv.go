package wire

import "syscall"

// Preflight reports in one line why this process cannot build a wire, or
// nil. Without root a wire needs an unprivileged user namespace (the
// process re-executes itself with UserNS and builds the wire inside, as
// that namespace's root) and a /dev/net/tun it may open.
func Preflight() error { return preflight() }

// UserNS returns the attributes that start a child process inside a new
// user namespace, as its root (mapped to the caller's uid and gid): there
// it may create network namespaces, and New works if the TUN device lets
// it. Nil where Linux namespaces do not exist.
func UserNS() *syscall.SysProcAttr { return userNS() }
