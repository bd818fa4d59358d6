// Package recordtest builds TCP conversations packet by packet for tests:
// segments with consistent sequence and acknowledgment numbers, and the
// pcap bytes tcpdump would have written for them.
package recordtest

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/capture"
)

// Conv is one connection being scripted. Each method appends one segment
// sent by side (0 client, 1 server) and advances that side's numbers as a
// TCP would; Gap sets the time before the next segment (default 1 ms).
type Conv struct {
	Segs []capture.Segment
	Addr [2]netip.AddrPort
	next [2]uint32 // next sequence number to send
	rcvd [2]uint32 // next sequence number expected from the peer (the ACK to send)
	now  time.Time
	gap  time.Duration
}

// Epoch is when every conversation starts.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// New starts a conversation between client and server ("10.0.0.1:40000").
func New(client, server string) *Conv {
	return &Conv{Addr: [2]netip.AddrPort{netip.MustParseAddrPort(client), netip.MustParseAddrPort(server)},
		next: [2]uint32{1000, 500000}, now: Epoch}
}

// Gap makes the next segment come d after the previous one.
func (c *Conv) Gap(d time.Duration) *Conv { c.gap = d; return c }

// Seg appends a raw segment: the caller chooses every number.
func (c *Conv) Seg(side int, f capture.Flags, seq, ack uint32, payload string, win uint16) *Conv {
	gap := c.gap
	if gap == 0 {
		gap = time.Millisecond
	}
	c.gap = 0
	if len(c.Segs) > 0 {
		c.now = c.now.Add(gap)
	}
	s := capture.Segment{Time: c.now, Proto: capture.TCP, Src: c.Addr[side], Dst: c.Addr[1-side], Flags: f,
		Seq: seq, Ack: ack, Win: win, Len: len(payload), Payload: []byte(payload)}
	if f.Has(capture.SYN) {
		s.OptionBytes = []byte{3, 3, 7, 1} // window scale 7, nop
	}
	c.Segs = append(c.Segs, s)
	return c
}

// Send appends a segment from side with flags f and payload, numbered from
// the side's next sequence number, acknowledging what it received (ACK is
// added unless f is a bare SYN or RST).
func (c *Conv) Send(side int, f capture.Flags, payload string) *Conv {
	if f != capture.SYN && f != capture.RST {
		f |= capture.ACK
	}
	seq := c.next[side]
	c.Seg(side, f, seq, c.rcvd[side], payload, 512)
	if f.Has(capture.RST) {
		return c
	}
	n := uint32(len(payload))
	if f.Has(capture.SYN) {
		n++
	}
	if f.Has(capture.FIN) {
		n++
	}
	c.next[side] += n
	c.rcvd[1-side] = seq + n
	return c
}

// Resend appends the segment at index i again (a retransmission), with the
// sender's current ACK.
func (c *Conv) Resend(i int) *Conv {
	s := c.Segs[i]
	side := 0
	if s.Src != c.Addr[0] {
		side = 1
	}
	ack := s.Ack
	if s.Flags.Has(capture.ACK) {
		ack = c.rcvd[side]
	}
	return c.Seg(side, s.Flags, s.Seq, ack, string(s.Payload), s.Win)
}

// Handshake appends SYN, SYN-ACK, ACK.
func (c *Conv) Handshake() *Conv {
	c.Send(0, capture.SYN, "")
	c.Send(1, capture.SYN|capture.ACK, "")
	return c.Send(0, capture.ACK, "")
}

// Ack appends a pure ACK from side.
func (c *Conv) Ack(side int) *Conv { return c.Send(side, capture.ACK, "") }

// Data appends a data segment from side.
func (c *Conv) Data(side int, payload string) *Conv { return c.Send(side, capture.PSH, payload) }

// Fin appends a FIN from side.
func (c *Conv) Fin(side int) *Conv { return c.Send(side, capture.FIN, "") }

// Rst appends an RST from side, at its next sequence number.
func (c *Conv) Rst(side int) *Conv { return c.Send(side, capture.RST, "") }

// Win appends a pure ACK from side advertising window w.
func (c *Conv) Win(side int, w uint16) *Conv {
	return c.Seg(side, capture.ACK, c.next[side], c.rcvd[side], "", w)
}

// Frame builds the Ethernet/IPv4 (or IPv6)/TCP frame of a segment, the way
// it would appear in a capture of lo.
func Frame(s capture.Segment) []byte {
	tcp := make([]byte, 20+len(s.OptionBytes)+(4-len(s.OptionBytes)%4)%4)
	binary.BigEndian.PutUint16(tcp[0:], s.Src.Port())
	binary.BigEndian.PutUint16(tcp[2:], s.Dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], s.Seq)
	binary.BigEndian.PutUint32(tcp[8:], s.Ack)
	tcp[12] = byte(len(tcp)/4) << 4
	tcp[13] = byte(s.Flags)
	binary.BigEndian.PutUint16(tcp[14:], s.Win)
	copy(tcp[20:], s.OptionBytes)
	tcp = append(tcp, s.Payload...)
	var b bytes.Buffer
	b.Write(make([]byte, 12))
	if s.Src.Addr().Is4() {
		b.Write([]byte{0x08, 0x00})
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 6
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		copy(ip[12:], s.Src.Addr().AsSlice())
		copy(ip[16:], s.Dst.Addr().AsSlice())
		b.Write(ip)
	} else {
		b.Write([]byte{0x86, 0xdd})
		ip := make([]byte, 40)
		ip[0], ip[6], ip[7] = 0x60, 6, 64
		binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
		copy(ip[8:], s.Src.Addr().AsSlice())
		copy(ip[24:], s.Dst.Addr().AsSlice())
		b.Write(ip)
	}
	b.Write(tcp)
	return b.Bytes()
}

// Pcap returns the pcap (or pcapng) file of the segments, as capture's
// writer writes it.
func Pcap(segs []capture.Segment, ng bool) []byte {
	var b bytes.Buffer
	w, err := capture.NewWriter(&b, ng)
	if err != nil {
		panic(err)
	}
	for _, s := range segs {
		s.Raw = Frame(s)
		if err := w.Write(s); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}
