// Package tcpstate names the states of a TCP connection as the Linux kernel
// numbers them (include/net/tcp_states.h) and prints them the way ss(8) does
// (TIME-WAIT, CLOSE-WAIT, FIN-WAIT-2).
//
// RFC 9293 §3.3.2 draws the state machine. A connection is opened by the
// three-way handshake (SYN-SENT / SYN-RECV → ESTABLISHED) and closed by two
// independent half-closes, one per direction: each side sends a FIN when it has
// nothing more to say, and the other side acknowledges it.
//
// The side that sends the first FIN is the active closer. It walks
// ESTABLISHED → FIN-WAIT-1 (FIN sent, not yet acknowledged) → FIN-WAIT-2 (FIN
// acknowledged, waiting for the peer's FIN) → TIME-WAIT (both FINs done; the
// socket lingers for 2·MSL so that a retransmitted FIN is answered and old
// segments die out) → CLOSE. Linux fixes TIME-WAIT at 60 s (TCP_TIMEWAIT_LEN),
// whatever MSL a textbook gives (claims C14, C24).
//
// The other side is the passive closer: ESTABLISHED → CLOSE-WAIT (peer's FIN
// received; our application has not closed yet — a socket stuck here is an
// application that forgot to close, claim C29) → LAST-ACK (our FIN sent) →
// CLOSE. When both sides send FIN at once, each goes FIN-WAIT-1 → CLOSING →
// TIME-WAIT.
package tcpstate
