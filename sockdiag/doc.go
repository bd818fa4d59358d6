// Package sockdiag reads the kernel's TCP socket table, the table `ss -tan`
// prints, through NETLINK_SOCK_DIAG, and watches it over time.
//
// # What a row says
//
// Every TCP endpoint the kernel still knows about is a row: its state in the
// RFC 9293 §3.3.2 state machine (spelled as ss spells it: TIME-WAIT,
// CLOSE-WAIT), its local and remote address, two queues, a timer, and who
// holds it. [List] returns the rows for some ports; [Count] tallies them per
// state.
//
// Recv-Q and Send-Q mean different things for the two kinds of socket:
//
//   - A connection: Recv-Q is received bytes the application has not read
//     yet; Send-Q is bytes written but not yet acknowledged by the peer. A
//     received FIN takes one sequence number (RFC 9293 §3.4), and the kernel
//     counts it in Recv-Q until the application reads the EOF: a CLOSE-WAIT
//     row with Recv-Q 1 belongs to an application that has not even noticed
//     the peer left, Recv-Q 0 to one that read EOF and still did not close.
//   - A listener (LISTEN): Recv-Q is the accept queue — connections whose
//     handshake is complete and that wait for accept() — and Send-Q is the
//     backlog given to listen(), capped by net.core.somaxconn (claim C25,
//     seed 004). Linux queues one connection more than the backlog; past
//     that it drops new SYNs, and clients retry them after a second or more.
//     Go listens with the backlog somaxconn.
//
// # Timers
//
// Timer and Expires say what the kernel is waiting for, as `ss -o` shows it
// in timer:(name,expiry,retransmissions):
//
//   - on: retransmission (RFC 9293 §3.8.1): sent data or a FIN is not
//     acknowledged yet. A FIN-WAIT-1 row with a retransmission timer is a
//     FIN still in flight.
//   - keepalive (RFC 9293 §3.8.4): idle probing. Go enables it (15 s) on
//     every connection it dials or accepts, so Go's idle connections show
//     it. It also times out an orphaned FIN-WAIT-2 socket.
//   - persist: zero-window probing (RFC 9293 §3.8.6.1): the peer's receive
//     window is closed and data waits to be sent.
//   - timewait: the lifetime of a TIME-WAIT mini-socket, 60 s on Linux
//     whatever MSL is said to be (C24).
//
// # Mini-sockets and orphans
//
// Once both FINs are exchanged, the side that closed first must stay in
// TIME-WAIT for twice the segment lifetime (RFC 9293 §3.6), so that a late
// retransmitted FIN is still answered and an old duplicate cannot slip into
// a new connection with the same ports. Linux does not keep the full socket
// for that: it swaps it for a small timewait mini-socket without buffers
// or tcp_info (Info is nil for those rows). Requests still in their
// handshake are mini-sockets too, and are reported as SYN-RECV.
//
// A socket whose application has closed its descriptor while the kernel is
// still delivering data or a FIN is an orphan: inode 0, no process. Inode 0
// alone does not make an orphan: a connection waiting in the accept queue
// has no descriptor yet either, and shows as ESTABLISHED (or CLOSE-WAIT if
// the client already left) with inode 0. Since close() always moves a
// connection on (FIN or RST), List marks as orphans only the inode-0 rows
// in FIN-WAIT-1, FIN-WAIT-2, CLOSING and LAST-ACK. Orphans
// in FIN-WAIT-1, CLOSING or LAST-ACK are finishing their work; past
// net.ipv4.tcp_max_orphans the kernel resets them and their data is lost.
// Every close of a busy server leaves one for a moment (LAST-ACK until the
// peer's last ACK); one whose retransmission or probe timer has already
// fired (ss: timer:(on,…,N) with N > 0) has a peer that stopped answering,
// and only those raise the orphans alarm.
// An orphan in FIN-WAIT-2 has had its FIN acknowledged and waits for the
// peer's; it must not wait forever (C15), so it lives
// net.ipv4.tcp_fin_timeout seconds. When that is at most 60 s (the default
// is 60) Linux turns the orphan at once into a timewait mini-socket that
// remembers FIN-WAIT-2 as its state: the table shows a FIN-WAIT-2 row with a
// timewait timer, inode 0 and no tcp_info. Above 60 s the full socket stays
// on its keepalive timer for the part above 60 s first. List reports the
// state the kernel reports, as ss does, and marks such rows Orphan. A socket
// the application only half-closed with shutdown(SHUT_WR) (C30) is a full
// FIN-WAIT-2 socket with an inode: not an orphan. [Shutdown] shows which
// directions a full socket has shut, as ss does ("<--", "-->").
//
// # Why TIME-WAIT and CLOSE-WAIT pile up
//
// Either end may close first (C28, seed 004), and whichever does holds the
// TIME-WAIT row for 60 s: a client that opens and closes many connections
// to one server keeps as many ephemeral ports busy
// (net.ipv4.ip_local_port_range), and a server that closes first (HTTP/1.0
// style) holds TIME-WAIT itself. That is normal; it becomes a problem when
// the count nears the number of ephemeral ports, and connect() to the same
// peer starts to fail.
//
// CLOSE-WAIT is different: a FIN only tells the receiver that the peer will
// send no more; the socket stays in CLOSE-WAIT until its application calls
// close (C29, seeds 000 and 004). A CLOSE-WAIT count that keeps growing is
// an application that never closes — a descriptor leak, and the peers sit
// in FIN-WAIT-2 meanwhile.
//
// [Alarms] turns a series of [Sample] values into those diagnoses: a
// CLOSE-WAIT count that grows in each of the last intervals, TIME-WAIT near
// the ephemeral port range, retransmitting orphans, FIN-WAIT-2 orphans, and
// a full accept queue. `teardown watch` prints them with a one-line explanation each.
//
// # Namespaces and filtering
//
// A netlink socket answers for the network namespace it was created in, so
// [Filter].NetNS names the namespace to look into; without it, List reads
// the caller's namespace (a program inside a test namespace would silently
// list the host's table). The request has no port field: the kernel
// filters a dump by port only with a small bytecode program, which List
// compiles as ss does, so that the other sockets of a busy host are skipped
// before the kernel fills them in; List checks ports and states again in
// Go.
package sockdiag
