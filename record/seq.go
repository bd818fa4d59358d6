package record

import (
	"time"

	"github.com/tcpteardown/teardown/capture"
)

// Sequence numbers wrap at 2^32: compare them by the sign of their
// difference (RFC 9293 §3.4, "modular arithmetic").
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }

// defaultReorder is Wireshark's out-of-order threshold before a round
// trip is known: a segment below the highest number that comes sooner than
// this after it was reordered on the way, not resent.
const defaultReorder = 3 * time.Millisecond

// add folds one segment sent by side from into the connection.
func (c *Conn) add(s *capture.Segment, from int, keep bool) {
	c.Packets++
	n := c.Packets - 1
	if c.First.IsZero() {
		c.First = s.Time
	}
	c.Last = s.Time
	snd, rcv := &c.Sides[from], &c.Sides[Peer(from)]
	rel := snd.relSeq(s)
	c.handshake(s, from)
	retrans := c.sequence(s, snd, rcv, rel)
	c.tail(s, from, retrans)
	c.flags(s, from, rel, n, retrans)
	c.ack(s, from, n)
	c.window(s, from, n)
	if keep {
		c.keep(s, from, rel, retrans)
	}
}

// relSeq sets the side's ISN on its first segment and returns the
// segment's relative sequence number.
func (sd *Side) relSeq(s *capture.Segment) uint32 {
	if !sd.known {
		sd.known, sd.ISN, sd.wscale = true, s.Seq, -1
		sd.next, sd.hiData = 0, 0
		if s.Flags.Has(capture.SYN) {
			sd.dataStart, sd.hiData = 1, 1
		}
	}
	return s.Seq - sd.ISN
}

func (c *Conn) handshake(s *capture.Segment, from int) {
	switch {
	case !s.Flags.Has(capture.SYN):
		if from == Client && c.SynAck && c.SynAckedAt.IsZero() && s.Flags.Has(capture.ACK) {
			c.SynAckedAt = s.Time
		}
		return
	case !s.Flags.Has(capture.ACK):
		c.Handshake = true
		if c.synTime.IsZero() {
			c.synTime = s.Time
		}
	default:
		c.SynAck = true
	}
	c.Sides[from].SYNs++
	c.Sides[from].wscale = windowScale(s.OptionBytes)
}

// sequence advances the side's highest number and reports whether the
// segment is a retransmission (see the package doc for the rule).
func (c *Conn) sequence(s *capture.Segment, snd, rcv *Side, rel uint32) bool {
	seglen := uint32(s.Len)
	if s.Flags.Has(capture.SYN) {
		seglen++
	}
	if s.Flags.Has(capture.FIN) {
		seglen++
	}
	if seglen == 0 || s.Flags.Has(capture.RST) {
		return false
	}
	retrans := snd.began && seqLT(rel, snd.next) && !c.keepAlive(s, snd, rel) && !c.reordered(s, snd, rel, seglen)
	zeroProbe := s.Len == 1 && rel == snd.next && rcv.winSet && rcv.rawWin == 0 && !s.Flags.Has(capture.FIN)
	if !zeroProbe && (!snd.began || seqGT(rel+seglen, snd.next)) {
		snd.began, snd.next, snd.nextAt = true, rel+seglen, s.Time
	}
	if end := dataEnd(s, rel); s.Len > 0 && seqGT(end, snd.hiData) {
		// Counted by how far the highest byte advanced, not as end minus
		// the first: relative numbers wrap after 4 GiB, a byte count must
		// not (and must not fall below what was acknowledged).
		snd.Bytes += int64(end - snd.hiData)
		snd.hiData = end
	}
	if retrans {
		snd.Retrans++
	}
	return retrans
}

// dataEnd is the relative number one past the segment's last data byte.
func dataEnd(s *capture.Segment, rel uint32) uint32 {
	if s.Flags.Has(capture.SYN) {
		rel++
	}
	return rel + uint32(s.Len)
}

// keepAlive: at most one byte, one below the next number (RFC 9293 §3.8.4;
// Linux sends zero bytes with seq = next-1).
func (c *Conn) keepAlive(s *capture.Segment, snd *Side, rel uint32) bool {
	return s.Len <= 1 && rel == snd.next-1 && !s.Flags.Has(capture.SYN) && !s.Flags.Has(capture.FIN)
}

// reordered: below the highest number but sooner than a round trip after
// it, and not ending where the highest one ended.
func (c *Conn) reordered(s *capture.Segment, snd *Side, rel, seglen uint32) bool {
	thres := defaultReorder
	if !c.SynAckedAt.IsZero() && !c.synTime.IsZero() {
		thres = c.SynAckedAt.Sub(c.synTime)
	}
	return s.Time.Sub(snd.nextAt) < thres && rel+seglen != snd.next
}

func (c *Conn) flags(s *capture.Segment, from int, rel uint32, n int, retrans bool) {
	snd, rcv := &c.Sides[from], &c.Sides[Peer(from)]
	if s.Flags.Has(capture.FIN) {
		at := Mark{Seen: true, At: s.Time, Seq: dataEnd(s, rel), N: n}
		c.closing(n)
		if !snd.FIN.Seen {
			snd.FIN = at
		}
		if retrans {
			snd.FINRetrans++
			if snd.FINAck.Seen {
				snd.FINRetransAfterAck++
			}
		}
	}
	if s.Flags.Has(capture.RST) && !snd.RST.Seen {
		c.closing(n)
		snd.RST = Mark{Seen: true, At: s.Time, Seq: rel, N: n}
	}
	if s.Len > 0 && rcv.FIN.Seen && !retrans {
		if snd.DataAfterPeerFIN == 0 {
			snd.DataAfterPeerFINAt = s.Time
		}
		snd.DataAfterPeerFIN += int64(s.Len)
	}
}

// closing notes the first FIN or RST of the connection, and whether a side
// was advertising a zero window at that moment.
func (c *Conn) closing(n int) {
	if c.closeIdx >= 0 {
		return
	}
	c.closeIdx = n
	for i := range c.Sides {
		if sd := &c.Sides[i]; sd.winSet && sd.rawWin == 0 {
			c.ZeroWindowAtClose = true
		}
	}
}

// ack records the peer's highest cumulative ACK of the sender's numbers.
func (c *Conn) ack(s *capture.Segment, from, n int) {
	rcv := &c.Sides[Peer(from)]
	if !s.Flags.Has(capture.ACK) || !rcv.known || s.Flags.Has(capture.RST) {
		return
	}
	a := s.Ack - rcv.ISN
	if !rcv.ackKnown || seqGT(a, rcv.acked) {
		// ackAbs follows the ack by its advance, as Bytes the data, so
		// that it keeps counting where 32-bit numbers wrap.
		if rcv.ackKnown {
			rcv.ackAbs += int64(a - rcv.acked)
		} else {
			rcv.ackAbs = int64(int32(a - rcv.dataStart))
		}
		rcv.ackKnown, rcv.acked = true, a
		rcv.Acked = min(max(rcv.ackAbs, 0), rcv.Bytes)
	}
	if rcv.FIN.Seen && !rcv.FINAck.Seen && seqGT(a, rcv.FIN.Seq) {
		rcv.FINAck = Mark{Seen: true, At: s.Time, Seq: a, N: n}
	}
}

// window records the advertised window; a zero one counts when the segment
// is not a SYN, FIN or RST (tcp.analysis.zero_window).
func (c *Conn) window(s *capture.Segment, from, n int) {
	snd, peer := &c.Sides[from], &c.Sides[Peer(from)]
	snd.rawWin, snd.winSet = s.Win, true
	snd.Win = uint32(s.Win)
	if !s.Flags.Has(capture.SYN) && snd.wscale >= 0 && peer.wscale >= 0 {
		snd.Win <<= uint(snd.wscale)
	}
	if s.Win == 0 && s.Flags&(capture.SYN|capture.FIN|capture.RST) == 0 {
		snd.ZeroWindows++
		if c.closeIdx >= 0 && n > c.closeIdx {
			c.ZeroWindowAtClose = true
		}
	}
}

// tail counts the retransmissions that end the connection unanswered: any
// segment from the peer, or new data from the same side, starts over.
func (c *Conn) tail(s *capture.Segment, from int, retrans bool) {
	switch {
	case retrans && c.TailSide != from:
		c.TailSide, c.TailRetrans = from, 1
	case retrans:
		c.TailRetrans++
	case from != c.TailSide || s.Len > 0 || s.Flags.Has(capture.FIN) || s.Flags.Has(capture.SYN):
		c.TailSide, c.TailRetrans = -1, 0
	}
}

func (c *Conn) keep(s *capture.Segment, from int, rel uint32, retrans bool) {
	p := Packet{At: s.Time, From: from, Flags: s.Flags, Seq: rel, Len: s.Len, Win: s.Win, Retrans: retrans,
		Payload: string(s.Payload)}
	if rcv := &c.Sides[Peer(from)]; s.Flags.Has(capture.ACK) && rcv.known {
		p.Ack = s.Ack - rcv.ISN
	}
	c.Timeline = append(c.Timeline, p)
}

// windowScale returns the shift of a SYN's window-scale option (RFC 7323
// §2.2), or -1 when it has none.
func windowScale(opts []byte) int8 {
	for i := 0; i < len(opts); {
		switch kind := opts[i]; {
		case kind == 0:
			return -1
		case kind == 1:
			i++
		case i+1 >= len(opts) || opts[i+1] < 2:
			return -1
		case kind == 3 && opts[i+1] == 3 && i+2 < len(opts):
			return int8(min(opts[i+2], 14)) // RFC 7323 §2.3: larger shifts are taken as 14
		default:
			i += int(opts[i+1])
		}
	}
	return -1
}
