// Package wire is the lab's own cable: two hosts — two private network
// namespaces, a and b — each with a TUN device, and this process in
// between, reading every IP packet one host sends and writing it to the
// other. Because the process is the cable, it decides what the cable
// does: lose a packet, hold it back while later ones overtake it, deliver
// it twice, keep it until told, stop carrying anything at all, or put a
// segment on it that neither host sent.
//
// # Why teardown needs faults
//
// On loopback nothing is ever lost, late or out of order, yet every rule
// of TCP's close exists for exactly those cases. TIME-WAIT exists because
// the last ACK of a close can be lost: the peer then retransmits its FIN,
// and only a socket that still remembers the connection can answer it with
// an ACK instead of a RST (RFC 9293 §3.6.1; seed 004's reader asks about
// the second reason, old duplicates of a previous "incarnation" of the
// same four-tuple, which `delay` recreates). A FIN that is lost is
// retransmitted after the retransmission timeout (at least 200 ms on
// Linux, TCP_RTO_MIN); a peer that vanished is found only by a timer
// (TCP_USER_TIMEOUT, keepalive, tcp_orphan_retries), which `cut` lets a
// scenario watch. RFC 5961 §3.2 says what a receiver does with a RST that
// is not exactly at RCV.NXT: inside the window it answers with a
// "challenge ACK" and resets nothing, outside it ignores the RST;
// `inject` crafts such segments from the sequence numbers the wire has
// seen, and the tests assert what this kernel does with them.
//
// # Topology
//
// Host a has 198.18.0.1/24, host b 198.18.0.2/24 (RFC 2544's benchmarking
// range), or 2001:db8::1/64 and ::2 (RFC 3849's documentation prefix) on
// an IPv6 wire; nothing else, and never the host's own namespace. The TUN
// devices have MTU 1500 and no offloads (no IFF_VNET_HDR), so every
// segment is as large as it would be on Ethernet and carries its real
// checksums. Each packet is recorded as an Event with capture's decoded
// Segment; WritePcap writes them for tcpdump and Wireshark.
//
// # Steps
//
// ParseStep reads the lab's `wire:` lines (docs/wire.md): drop, delay,
// dup, hold … release, cut … heal, inject. Apply arms them while the
// hosts' sockets run; a rule armed before the packets it matches exist
// applies when they come. Link adds a round-trip time, random loss
// reproducible from a seed, and a rate.
package wire
