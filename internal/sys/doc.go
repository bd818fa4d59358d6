// Package sys is the thin system-call layer of teardown, in the way of
// cilium/ebpf's internal/unix: the one package that imports
// golang.org/x/sys/unix. It exposes plain, generic calls and constants with
// one name per operation, grouped by the kind of object they act on:
//
//   - socket_linux.go: sockets by descriptor (Socket, Bind, Listen, Accept,
//     Connect, Read, Write, Send, RecvFrom, Close, Poll …), the calls the
//     lab's actors make one by one;
//   - raw_linux.go: the calls that never block, made without the runtime's
//     entersyscall (Shutdown, Dup, RawRead, RawClose), for the server's
//     lingerer;
//   - sockopt_linux.go: socket options and queue ioctls (SetInt, GetInt,
//     Linger, TCPInfo, InQ, OutQ, AttachFilter);
//   - epoll_linux.go: epoll_create1, epoll_ctl (raw), epoll_wait, eventfd;
//   - packet_linux.go: AF_PACKET sockets and their TPACKET_V3 receive ring
//     (PacketSocket, BindPacket, PacketVersionV3, PacketRxRing,
//     PacketStatistics, Mmap, Munmap, the ring's header types);
//   - file_linux.go, clock_linux.go, ioctl_linux.go, netlink_linux.go,
//     ns_linux.go: open and openat2 beneath a directory, access, fstat,
//     statfs, mount, clock_gettime, ioctls (integer, ifreq), netlink
//     sockets, setns
//     and unshare;
//   - errno_linux.go: errno names and the SIGPIPE disposition;
//   - control.go: Control, the descriptor under a net.Conn or listener.
//
// What a call means for TCP lives with the package that owns the concept:
// the listener's SYN filter, IP_MINTTL, accept-queue length and the
// lingerer's epoll set parked in Go's network poller in server, the
// sock_diag dump in sockdiag, the walk of the packet ring in capture,
// tracefs and the clock offset in trace, TUN devices in lab/wire, threads
// inside a namespace in internal/netns. Nothing here imports another
// package of teardown.
//
// Every failed call returns an *os.SyscallError around the errno (an
// *os.PathError for calls that take a path, as package os does), wrapped
// once here, so callers test it with errors.Is(err, syscall.ECONNRESET) and
// the lab names it with ErrnoName. The *_others.go files return errors wrapping
// ErrNotSupported for the calls portable code makes, so that the module
// builds everywhere while only Linux does the work.
package sys
