// Package netns creates private network namespaces: a fresh, empty network
// stack with its own loopback, ports, TIME-WAIT table, sysctls
// (tcp_fin_timeout …) and firewall, so that experiments that change the
// kernel's settings never touch the host's. A namespace lives while its
// handle (or a socket or process in it) is open; nothing is left in
// /var/run/netns.
//
// A network namespace is an attribute of a thread, not of a process or of a
// goroutine: setns(2) and unshare(CLONE_NEWNET) move only the calling
// thread, and a socket belongs for its whole life to the namespace of the
// thread that created it. Go moves goroutines between threads freely, so
// Do runs its function on a goroutine locked to a thread of its own that
// the runtime destroys afterwards (DoFD): no other code
// ever runs on a thread left in the wrong namespace, even when the function
// panics.
//
// Sysctls under /proc/sys/net are per namespace too: a file there shows the
// value of the namespace of the thread that opens it. SetSysctl and Sysctl
// accept only names under net/ (CheckSysctlName) and open them beneath a
// descriptor of /proc/sys/net with openat2(2)'s RESOLVE_BENEATH, so no name
// can reach a file elsewhere, whatever it contains.
package netns
