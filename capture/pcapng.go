package capture

import (
	"encoding/binary"
	"time"
)

// The pcapng format (draft-ietf-opsawg-pcapng, "PCAP Next Generation
// (pcapng) Capture File Format"): a file is a list of blocks, each
//
//	type (4) | total length (4) | body | total length (4)
//
// with the length counting the whole block, a multiple of 4. A section
// header block (SHB) starts each section and fixes its byte order through
// its byte-order magic; interface description blocks (IDB) number the
// section's interfaces from 0 in the order they appear; enhanced packet
// blocks (EPB) carry one packet each, with the interface's number and a
// 64-bit timestamp in the units that interface's if_tsresol option names
// (default microseconds). Options are code (2) | length (2) | value padded
// to 4, ended by opt_endofopt (code 0).
const (
	ngSHB = 0x0a0d0d0a // section header; the value reads the same in both byte orders
	ngIDB = 0x00000001 // interface description
	ngOPB = 0x00000002 // obsolete packet block (pcapng drafts before the EPB)
	ngSPB = 0x00000003 // simple packet: no interface number, no timestamp
	ngISB = 0x00000005 // interface statistics
	ngEPB = 0x00000006 // enhanced packet

	ngByteOrderMagic = 0x1a2b3c4d

	optEnd        = 0
	optComment    = 1  // opt_comment: any block, UTF-8 text
	optSHBOS      = 3  // shb_os
	optSHBAppl    = 4  // shb_userappl
	optIfName     = 2  // if_name
	optIfTsresol  = 9  // if_tsresol: one byte, see tsUnit
	optIfTsoffset = 14 // if_tsoffset: seconds added to every stamp
	optISBStart   = 2  // isb_starttime
	optISBEnd     = 3  // isb_endtime
	optISBIfRecv  = 4  // isb_ifrecv
	optISBIfDrop  = 5  // isb_ifdrop
)

// pad4 rounds n up to the 4-byte boundary every block and option keeps.
func pad4(n int) int { return (n + 3) &^ 3 }

// ngBlock builds one block in little-endian order: the writer always
// writes little-endian sections (readers follow the SHB's magic).
type ngBlock struct{ b []byte }

func newNgBlock(buf []byte, typ uint32) *ngBlock {
	b := binary.LittleEndian.AppendUint32(buf[:0], typ)
	return &ngBlock{b: binary.LittleEndian.AppendUint32(b, 0)} // length set by done
}

func (k *ngBlock) u16(v uint16) { k.b = binary.LittleEndian.AppendUint16(k.b, v) }
func (k *ngBlock) u32(v uint32) { k.b = binary.LittleEndian.AppendUint32(k.b, v) }
func (k *ngBlock) u64(v uint64) { k.b = binary.LittleEndian.AppendUint64(k.b, v) }

// stamp appends a timestamp in nanoseconds (our IDB says if_tsresol 9) as
// the high then the low 32 bits, the order pcapng uses for all stamps.
func (k *ngBlock) stamp(t time.Time) {
	ns := uint64(t.UnixNano())
	k.u32(uint32(ns >> 32))
	k.u32(uint32(ns))
}

// bytes appends b padded with zeros to 4 bytes.
func (k *ngBlock) bytes(b []byte) {
	k.b = append(k.b, b...)
	k.b = append(k.b, make([]byte, pad4(len(b))-len(b))...)
}

func (k *ngBlock) opt(code uint16, v []byte) {
	k.u16(code)
	k.u16(uint16(len(v)))
	k.bytes(v)
}

// done ends the options (when there were some), writes the total length at
// both ends and returns the block.
func (k *ngBlock) done(withOpts bool) []byte {
	if withOpts {
		k.opt(optEnd, nil)
	}
	n := uint32(len(k.b) + 4)
	binary.LittleEndian.PutUint32(k.b[4:], n)
	k.u32(n)
	return k.b
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// stampOpt is a timestamp option's value: high then low 32 bits.
func stampOpt(t time.Time) []byte {
	ns := uint64(t.UnixNano())
	b := binary.LittleEndian.AppendUint32(nil, uint32(ns>>32))
	return binary.LittleEndian.AppendUint32(b, uint32(ns))
}
