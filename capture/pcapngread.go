package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// Reading pcapng (draft-ietf-opsawg-pcapng; block layout in pcapng.go).

// readSHB reads a section header block. Its type reads the same in both
// byte orders; the byte-order magic after the length says which one the
// whole section uses. A new section forgets the interfaces of the last.
func (r *FileReader) readSHB() error {
	h, err := r.r.Peek(12)
	if err != nil {
		return unexpected(err)
	}
	switch {
	case binary.LittleEndian.Uint32(h[8:]) == ngByteOrderMagic:
		r.order = binary.LittleEndian
	case binary.BigEndian.Uint32(h[8:]) == ngByteOrderMagic:
		r.order = binary.BigEndian
	default:
		return fmt.Errorf("pcapng section header: byte-order magic %08x, want 1a2b3c4d", binary.BigEndian.Uint32(h[8:]))
	}
	body, err := r.block(r.order.Uint32(h[4:]))
	if err != nil {
		return err
	}
	if len(body) < 16 { // byte-order magic, version, section length
		return errors.New("pcapng section header block too short")
	}
	if v := r.order.Uint16(body[4:]); v != 1 {
		return fmt.Errorf("pcapng version %d.%d not supported (want 1.0)", v, r.order.Uint16(body[6:]))
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

// checkLength: a block's total length counts its 12 bytes of type and
// lengths and is a multiple of 4.
func checkLength(total uint32) error {
	if total%4 != 0 || total < 12 {
		return fmt.Errorf("pcapng block length %d is not a multiple of 4 of at least 12", total)
	}
	return nil
}

// block reads a whole block of the given total length and returns its
// body, between the leading type and length and the trailing length.
func (r *FileReader) block(total uint32) ([]byte, error) {
	if err := checkLength(total); err != nil {
		return nil, err
	}
	if total > maxNgBlock {
		return nil, fmt.Errorf("pcapng block of %d bytes: more than a packet's block can be (%d)", total, maxNgBlock)
	}
	b, err := r.read(int(total))
	if err != nil {
		return nil, err
	}
	return b[8 : len(b)-4], nil
}

// nextNg reads blocks until a packet block. Each block's type and length
// are peeked at first: a new section's header is read by readSHB, blocks
// of no use here are skipped without being copied.
func (r *FileReader) nextNg() (FilePacket, error) {
	for {
		h, err := r.r.Peek(8)
		if err != nil {
			if len(h) == 0 && errors.Is(err, io.EOF) {
				return FilePacket{}, io.EOF
			}
			return FilePacket{}, unexpected(err)
		}
		typ, total := r.order.Uint32(h), r.order.Uint32(h[4:])
		switch typ {
		case ngSHB: // a new section, perhaps in the other byte order
			if err := r.readSHB(); err != nil {
				return FilePacket{}, err
			}
			continue
		case ngIDB, ngEPB, ngSPB, ngOPB:
		default:
			if err := r.skip(total); err != nil {
				return FilePacket{}, err
			}
			continue
		}
		body, err := r.block(total)
		if err != nil {
			return FilePacket{}, err
		}
		if typ == ngIDB {
			if err := r.addIface(body); err != nil {
				return FilePacket{}, err
			}
			continue
		}
		return r.packet(typ, body)
	}
}

// skip discards a block the reader has no use for (statistics, name
// resolution, custom blocks …) without keeping it.
func (r *FileReader) skip(total uint32) error {
	if err := checkLength(total); err != nil {
		return err
	}
	if _, err := r.r.Discard(int(total)); err != nil {
		return unexpected(err)
	}
	return nil
}

// addIface reads an interface description block: link type, reserved,
// snap length, options (if_tsresol and if_tsoffset matter here).
func (r *FileReader) addIface(b []byte) error {
	if len(b) < 8 {
		return errors.New("pcapng interface description block too short")
	}
	if len(r.ifaces) >= 1<<16 {
		return errors.New("pcapng: more than 65536 interfaces in one section")
	}
	in := ngIface{link: int(r.order.Uint16(b)), snap: r.order.Uint32(b[4:]), unit: tsUnit(6)}
	err := r.options(b[8:], func(code uint16, v []byte) error {
		switch {
		case code == optIfTsresol && len(v) == 1:
			u := tsUnit(v[0])
			if !u.valid() {
				return fmt.Errorf("pcapng if_tsresol %#x not supported", v[0])
			}
			in.unit = u
		case code == optIfTsoffset && len(v) == 8:
			in.offset = int64(r.order.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.ifaces = append(r.ifaces, in)
	return nil
}

// options walks code | length | value (padded to 4) until opt_endofopt or
// the end of the block.
func (r *FileReader) options(b []byte, fn func(code uint16, v []byte) error) error {
	for len(b) >= 4 {
		code, n := r.order.Uint16(b), int(r.order.Uint16(b[2:]))
		if code == optEnd {
			return nil
		}
		if 4+n > len(b) {
			return fmt.Errorf("pcapng option %d of %d bytes overruns its block", code, n)
		}
		if err := fn(code, b[4:4+n]); err != nil {
			return err
		}
		b = b[min(len(b), 4+pad4(n)):]
	}
	return nil
}

// packet decodes an enhanced (interface, stamp high, stamp low, kept,
// wire), obsolete (interface and drop count as two 16-bit fields, then the
// same) or simple (wire length only; kept = the rest, up to interface 0's
// snap length) packet block.
func (r *FileReader) packet(typ uint32, b []byte) (FilePacket, error) {
	var id, wire uint32
	var ts uint64
	var data []byte
	switch typ {
	case ngSPB:
		if len(b) < 4 {
			return FilePacket{}, errors.New("pcapng simple packet block too short")
		}
		wire, data = r.order.Uint32(b), b[4:]
		if len(r.ifaces) > 0 && r.ifaces[0].snap > 0 {
			data = data[:min(uint64(len(data)), uint64(r.ifaces[0].snap))]
		}
		data = data[:min(uint64(len(data)), uint64(wire))]
	default:
		if len(b) < 20 {
			return FilePacket{}, errors.New("pcapng packet block too short")
		}
		if typ == ngOPB {
			id = uint32(r.order.Uint16(b))
		} else {
			id = r.order.Uint32(b)
		}
		ts = uint64(r.order.Uint32(b[4:]))<<32 | uint64(r.order.Uint32(b[8:]))
		caplen := r.order.Uint32(b[12:])
		wire = r.order.Uint32(b[16:])
		if uint64(caplen) > uint64(len(b)-20) {
			return FilePacket{}, fmt.Errorf("pcapng packet of %d bytes in a block of %d", caplen, len(b)+12)
		}
		data = b[20 : 20+caplen]
	}
	if uint64(id) >= uint64(len(r.ifaces)) {
		return FilePacket{}, fmt.Errorf("pcapng packet on interface %d, which the section does not describe", id)
	}
	in := r.ifaces[id]
	p := FilePacket{Data: data, WireLen: int(wire), LinkType: in.link}
	if typ != ngSPB {
		p.Time = in.unit.time(ts, in.offset)
	}
	return p, nil
}

// tsUnit is if_tsresol: with the high bit clear, stamps count 10^-v
// seconds; with it set, 2^-(v&0x7f). Units finer than what a uint64 can
// express per second are refused.
type tsUnit uint8

func (u tsUnit) valid() bool {
	if u&0x80 != 0 {
		return u&0x7f < 64
	}
	return u <= 19
}

// time converts a stamp: whole seconds, and the fraction scaled to
// nanoseconds (for binary units through a 128-bit product, which cannot
// overflow).
func (u tsUnit) time(ts uint64, offset int64) time.Time {
	var sec, ns uint64
	if u&0x80 != 0 {
		k := uint(u & 0x7f)
		sec = ts >> k
		if k > 0 {
			hi, lo := bits.Mul64(ts&(1<<k-1), 1e9)
			ns = hi<<(64-k) | lo>>k
		}
	} else {
		per := pow10[u]
		sec, ns = ts/per, ts%per
		if u <= 9 {
			ns *= pow10[9-u]
		} else {
			ns /= pow10[u-9]
		}
	}
	return time.Unix(int64(sec)+offset, int64(ns)).UTC()
}

// pow10[n] is 10^n, up to the largest that fits a uint64.
var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}
