// Package capture records the TCP segments (and UDP datagrams, and the ICMP
// errors about them) of chosen ports, so that a close can be seen on the
// wire: who sent the first FIN, whether data was still in flight, whether
// the connection ended with FIN or with RST.
//
// # What a close looks like on the wire
//
// A graceful close is two half-closes (RFC 9293 §3.6). The side that closes
// first sends [F.] (FIN, with ACK); the peer acknowledges it with [.], and
// later, when its application closes too, sends its own [F.], which the
// first side acknowledges. On loopback that reads, in tcpdump's notation:
//
//	[S] [S.] [.]        the three-way handshake (RFC 9293 §3.5)
//	[P.] [.] …          data and its acknowledgements
//	[F.] [.]            first half-close: FIN-WAIT-1 → FIN-WAIT-2 / CLOSE-WAIT
//	[F.] [.]            second half-close: LAST-ACK → CLOSED / TIME-WAIT
//
// The acknowledgement of a FIN is often folded into the peer's own [F.]
// (three segments instead of four) or, as measured here, delayed by up to
// 40 ms (the delayed-ACK timer) when the application does not answer at
// once. An abort (close with SO_LINGER 0, claim C17, or close with unread
// data, claim C21) sends a single [R.] and no FIN: whatever was still queued
// is thrown away and the peer's next read fails with ECONNRESET (seed 003).
// A UDP datagram to a closed port earns an ICMP "port unreachable", which
// only a connected UDP socket hears of (claim C26).
//
// Sequence numbers are printed as tcpdump prints them: absolute on the SYN
// and SYN-ACK, then relative to each side's initial sequence number, so
// "seq 4, ack 8" on a FIN says the client had sent 3 bytes (the SYN counts
// as one) and received 7. A FIN, like a SYN, consumes one sequence number:
// that is why the last ACK of a close acknowledges "FIN seq + 1".
//
// # How the capture works
//
// Open creates an AF_PACKET socket (needs CAP_NET_RAW) with a TPACKET_V3
// ring shared with the kernel (packet_mmap.rst in the kernel's
// documentation; read here directly, block by block, with no lock per
// frame), and attaches a classic BPF program (Filter) that keeps only
// IPv4/IPv6 frames
// carrying TCP or UDP with one of the ports at either end, plus ICMP and
// ICMPv6 errors quoting such a datagram (TCP answers a closed port with
// RST; UDP gets "port unreachable").
// The filter runs in the kernel, so the rest of the machine's traffic never
// reaches the process.
//
// On lo every frame passes AF_PACKET twice: once as it is sent
// (PACKET_OUTGOING) and once as it is received. The filter drops the
// outgoing copy on loopback interfaces only; on a veth or a real NIC each
// frame is seen once. lo frames are Ethernet frames whose MAC addresses are
// both zero, so one decoder serves every interface. (libpcap does the same
// de-duplication in user space: tcpdump on lo reports twice as many packets
// "received by filter" as it prints.)
//
// TPACKET_V3 hands frames over in blocks. A block is given to the reader
// when it is full or when its timeout expires; with the 1 ms timeout used
// here a quiet connection's segment reaches Next about 1 ms after the kernel
// stamped it (p50 about 0.5 ms at 2000 connections/s). The socket binds to
// its interface only once the filter is attached, so no frame the filter
// would refuse is ever in the ring. The ring (Config.RingSize, 16 MiB by
// default) is what tcpdump -B sizes: a reader that falls behind by more
// than it holds loses frames, counted in Stats.Drops. A VLAN tag the
// network card stripped is not put back (tcpdump does): the kernel filter
// matched the frame without it, and the decoder reads untagged Ethernet. Stamps are
// CLOCK_REALTIME, the clock of package trace's transitions. A socket opened
// inside a network namespace (call Open inside (*netns.NS).Do) sees that
// namespace's interfaces only.
//
// Next returns decoded Segments; Formatter prints them exactly as
// `tcpdump -nn` 4.99 does (the tests compare line by line with tcpdump -r);
// Writer saves them as pcap or pcapng; Stats reports the kernel's counters,
// whose Drops says whether the ring overflowed.
//
// Instead of ports, Config.Filter takes the common part of tcpdump's filter
// language (ParseExpr: host, port, src, dst, tcp, udp, and, or, not,
// parentheses), compiled by the same assembler into the kernel program; no
// libpcap. A file writer that prints nothing uses NextFrame, which skips
// decoding, and a longer block timeout (Config.Batch): fuller blocks, fewer
// wake-ups, less CPU per packet.
package capture
