package wire

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/tcpteardown/teardown/capture"
)

// half is what the wire has seen one side of a connection send: its
// SND.NXT (the sequence number after its last byte, SYN and FIN count as
// one each, RFC 9293 §3.4), the last ACK and window it advertised, and its
// last timestamp option (RFC 7323 §3), which a crafted segment repeats so
// that PAWS (RFC 7323 §5) does not discard it for lacking one.
type half struct {
	seen         bool
	nxt, ack     uint32
	hasAck       bool
	win          uint16
	hasTS        bool
	tsVal, tsEcr uint32
}

// conn is one TCP connection seen on the wire, by its two endpoints.
type conn struct {
	ends [2]netip.AddrPort // ends[i] sent halves[i]
	half [2]half
	last time.Time
}

type connKey struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) connKey {
	if a.Compare(b) > 0 {
		a, b = b, a
	}
	return connKey{a, b}
}

// conns follows the sequence state of every connection on the wire.
type conns map[connKey]*conn

// seqGT is a > b in 32-bit sequence space (RFC 9293 §3.4).
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }

func (cs conns) observe(s *capture.Segment, now time.Time) {
	if s.Proto != capture.TCP {
		return
	}
	k := keyOf(s.Src, s.Dst)
	c := cs[k]
	if c == nil {
		c = &conn{ends: [2]netip.AddrPort{s.Src, s.Dst}}
		cs[k] = c
	}
	c.last = now
	i := 0
	if c.ends[1] == s.Src {
		i = 1
	}
	c.half[i].update(s)
}

func (h *half) update(s *capture.Segment) {
	end := s.Seq + uint32(s.Len)
	if s.Flags&capture.SYN != 0 {
		end++
	}
	if s.Flags&capture.FIN != 0 {
		end++
	}
	// A SYN starts a new incarnation: forget the old sequence space.
	if !h.seen || s.Flags&capture.SYN != 0 || seqGT(end, h.nxt) {
		h.nxt = end
	}
	h.seen = true
	if s.Flags&capture.ACK != 0 {
		h.ack, h.hasAck = s.Ack, true
	}
	h.win = s.Win
	h.tsVal, h.tsEcr, h.hasTS = timestamps(s.OptionBytes)
}

// timestamps finds the TCP timestamp option (kind 8, length 10).
func timestamps(opt []byte) (val, ecr uint32, ok bool) {
	for len(opt) > 0 {
		switch opt[0] {
		case 0:
			return 0, 0, false
		case 1:
			opt = opt[1:]
			continue
		}
		if len(opt) < 2 || int(opt[1]) < 2 || int(opt[1]) > len(opt) {
			return 0, 0, false
		}
		if opt[0] == 8 && opt[1] == 10 {
			return binary.BigEndian.Uint32(opt[2:6]), binary.BigEndian.Uint32(opt[6:10]), true
		}
		opt = opt[opt[1]:]
	}
	return 0, 0, false
}

// between returns the most recently active connection whose ends are the
// addresses from and to, with from's end first.
func (cs conns) between(from, to netip.Addr) (src, dst netip.AddrPort, snd, rcv half, ok bool) {
	var best *conn
	for _, c := range cs {
		a, b := c.ends[0].Addr(), c.ends[1].Addr()
		if ((a == from && b == to) || (a == to && b == from)) && (best == nil || c.last.After(best.last)) {
			best = c
		}
	}
	if best == nil {
		return src, dst, snd, rcv, false
	}
	i := 0
	if best.ends[0].Addr() != from {
		i = 1
	}
	return best.ends[i], best.ends[1-i], best.half[i], best.half[1-i], true
}
