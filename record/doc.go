// Package record turns captured TCP segments (and, when the lab traced
// them, the sockets' state transitions) into one record per connection:
// its packets in order and the bookkeeping of each direction's sequence
// space. It is the timeline shared by `teardown explain`, `capture
// -states`, the lab and probe.
//
// # Sequence space
//
// Each direction of a TCP connection numbers its bytes from an initial
// sequence number (ISN) chosen at the SYN (RFC 9293 §3.4). The SYN and the
// FIN each take one number of their own, so after a SYN with ISN x the first
// data byte is x+1, and a FIN sent after n bytes carries sequence number
// x+1+n and is acknowledged by "ack x+2+n". Numbers here are relative to
// the ISN, as tcpdump prints them: the first byte is 1, and "bytes sent" is
// the highest data byte seen minus the first. When the capture began in the
// middle of a connection there is no SYN: the first sequence number seen in
// each direction is taken as 0.
//
// An acknowledgment is cumulative: "ack n" says every number below n
// arrived (RFC 9293 §3.4). So the bytes a side sent that the peer never
// acknowledged are the difference between the highest data byte sent and
// the highest ack received — when an RST then ends the connection, those
// bytes are lost (claim C21 of the project's claims list).
//
// # Retransmissions and windows
//
// A segment that carries data, a SYN or a FIN and starts below the highest
// sequence number already sent in its direction is a retransmission (the
// rule Wireshark applies for tcp.analysis.retransmission, which this
// package's tests cross-check with tshark): a keep-alive (at most one byte,
// one below that highest number) is not, nor is a segment that arrives
// within one round trip of the highest one (reordered, not resent), nor a
// one-byte zero-window probe. A window of 0 in a segment that is not a
// SYN, FIN or RST is a zero window: the receiver's buffer is full because its
// application does not read (tcp.analysis.zero_window).
//
// # Memory
//
// A Builder is streaming: it holds only connections still open, plus a
// finished one (both FINs acknowledged, or an RST) for Linger of capture
// time after its last packet, so that a final FIN retransmitted because
// the last ACK was lost (TIME-WAIT at work) still joins its connection.
// Packets are kept only for the connections Keep selects.
package record
