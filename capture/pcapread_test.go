package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// writeFrames writes frames with the given stamps through capture.Writer,
// and for pcapng a statistics block at the end as capture -w does.
func writeFrames(t testing.TB, ng bool, frames [][]byte, stamps []time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewFileWriter(&buf, &capture.FileInfo{PcapNG: ng, Interface: "veth7", SnapLen: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WriteFrame(capture.Frame{Data: f, Time: stamps[i], WireLen: len(f) + i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteStats(stamps[0], stamps[len(stamps)-1], capture.Stats{Packets: 7, Drops: 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testFrames() ([][]byte, []time.Time) {
	frames := [][]byte{tcp4Frame(1, 2), udp6Frame(3, 4), tcp4Frame(5, 6)[:21]} // the last one odd-sized: padding
	stamps := []time.Time{time.Unix(1700000000, 123456789), time.Unix(1700000001, 1), time.Unix(1700000002, 999999999)}
	return frames, stamps
}

// readAllPackets reads a whole file with capture.FileReader, copying each
// packet (Data is reused).
func readAllPackets(b []byte) ([]capture.FilePacket, error) {
	r, err := capture.NewFileReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var ps []capture.FilePacket
	for {
		p, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return ps, err
		}
		p.Data = bytes.Clone(p.Data)
		ps = append(ps, p)
	}
}

// TestFileRoundTrip: what the Writer writes, the FileReader reads back
// whole (frames, nanosecond stamps, wire lengths, Ethernet link type),
// past pcapng's statistics block.
func TestFileRoundTrip(t *testing.T) {
	frames, stamps := testFrames()
	for _, ng := range []bool{false, true} {
		ps, err := readAllPackets(writeFrames(t, ng, frames, stamps))
		if err != nil {
			t.Fatalf("ng=%v: %v", ng, err)
		}
		var want []capture.FilePacket
		for i, f := range frames {
			want = append(want, capture.FilePacket{Data: f, Time: stamps[i].UTC(), WireLen: len(f) + i, LinkType: capture.LinkEthernet})
		}
		if d := cmp.Diff(want, ps); d != "" {
			t.Errorf("ng=%v (-want +got):\n%s", ng, d)
		}
	}
}

// TestWriterPcapgo: gopacket's pcapgo, an implementation of its own, reads
// the same packets from our files, and for pcapng the interface's name and
// snap length and the statistics block's counters and times.
func TestWriterPcapgo(t *testing.T) {
	frames, stamps := testFrames()
	file := writeFrames(t, true, frames, stamps)
	var stats []pcapgo.NgInterfaceStatistics
	r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.NgReaderOptions{
		StatisticsCallback: func(_ int, s pcapgo.NgInterfaceStatistics) { stats = append(stats, s) }})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		data, ci, err := r.ReadPacketData()
		if err != nil || !bytes.Equal(data, f) || !ci.Timestamp.Equal(stamps[i]) || ci.Length != len(f)+i {
			t.Fatalf("packet %d: %v %x %v %d; want %x %v %d", i, err, data, ci.Timestamp, ci.Length, f, stamps[i], len(f)+i)
		}
	}
	if _, _, err := r.ReadPacketData(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the packets: %v, want EOF", err)
	}
	in, err := r.Interface(0)
	if err != nil || in.Name != "veth7" || in.SnapLength != 4096 || in.LinkType != 1 {
		t.Errorf("interface 0: %+v %v; want veth7, snap 4096, Ethernet", in, err)
	}
	if len(stats) != 1 || stats[0].PacketsReceived != 7 || stats[0].PacketsDropped != 3 ||
		!stats[0].StartTime.Equal(stamps[0]) || !stats[0].EndTime.Equal(stamps[2]) {
		t.Errorf("statistics blocks %+v; want one: received 7, dropped 3, from %v to %v", stats, stamps[0], stamps[2])
	}
	p, err := pcapgo.NewReader(bytes.NewReader(writeFrames(t, false, frames, stamps)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Resolution().ToDuration() != time.Nanosecond || p.Snaplen() != 4096 || p.LinkType() != 1 {
		t.Errorf("pcap header: resolution %v snap %d link %v; want ns, 4096, Ethernet", p.Resolution(), p.Snaplen(), p.LinkType())
	}
}

// TestFileReaderCuts cuts a file at every byte: the reader returns every
// packet whose record ends before the cut, then io.EOF when the cut falls
// between two records (a pcapng section with no interface yet is a whole
// file) and io.ErrUnexpectedEOF when it falls inside one, or inside the
// file header.
func TestFileReaderCuts(t *testing.T) {
	frames, stamps := testFrames()
	for _, ng := range []bool{false, true} {
		file := writeFrames(t, ng, frames, stamps)
		ends, packet := recordEnds(file, ng)
		for n := 0; n < len(file); n++ {
			whole, boundary := 0, false
			for i, e := range ends {
				if e <= n && packet[i] {
					whole++
				}
				boundary = boundary || e == n
			}
			ps, err := readAllPackets(file[:n])
			if len(ps) != whole || boundary && err != nil || !boundary && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ng=%v cut at %d of %d: %d packets, err %v; want %d, boundary %v", ng, n, len(file), len(ps), err, whole, boundary)
			}
		}
	}
}

// recordEnds walks a file we wrote (little-endian) and returns where its
// header and each record or block end, and which of them hold a packet.
func recordEnds(b []byte, ng bool) (ends []int, packet []bool) {
	le := binary.LittleEndian
	off := 0
	if !ng {
		ends, packet = []int{24}, []bool{false}
		for off = 24; off < len(b); {
			off += 16 + int(le.Uint32(b[off+8:]))
			ends, packet = append(ends, off), append(packet, true)
		}
		return ends, packet
	}
	for off < len(b) {
		typ := le.Uint32(b[off:])
		off += int(le.Uint32(b[off+4:]))
		ends, packet = append(ends, off), append(packet, typ == 6)
	}
	return ends, packet
}

// pcapFile builds a pcap file in the given byte order.
func pcapFile(o binary.AppendByteOrder, magic uint32, link uint32, recs ...[]byte) []byte {
	b := o.AppendUint32(nil, magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = o.AppendUint32(b, 65535)
	b = o.AppendUint32(b, link)
	for _, r := range recs {
		b = append(b, r...)
	}
	return b
}

func pcapRec(o binary.AppendByteOrder, sec, frac uint32, data []byte, wire uint32) []byte {
	b := o.AppendUint32(nil, sec)
	b = o.AppendUint32(b, frac)
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, wire)
	return append(b, data...)
}

// TestFileReaderPcapVariants: both byte orders, microsecond and nanosecond
// magics, the link type's high bits (FCS information) ignored.
func TestFileReaderPcapVariants(t *testing.T) {
	data := []byte("\x45abcdefghij")
	for _, tt := range []struct {
		name  string
		o     binary.AppendByteOrder
		magic uint32
		frac  uint32
		want  time.Time
	}{
		{"little µs", binary.LittleEndian, 0xa1b2c3d4, 250000, time.Unix(1000, 250000000)},
		{"big µs", binary.BigEndian, 0xa1b2c3d4, 250000, time.Unix(1000, 250000000)},
		{"little ns", binary.LittleEndian, 0xa1b23c4d, 250000, time.Unix(1000, 250000)},
		{"big ns", binary.BigEndian, 0xa1b23c4d, 7, time.Unix(1000, 7)},
	} {
		file := pcapFile(tt.o, tt.magic, 0x10000000|101, pcapRec(tt.o, 1000, tt.frac, data, 99))
		ps, err := readAllPackets(file)
		want := []capture.FilePacket{{Data: data, Time: tt.want.UTC(), WireLen: 99, LinkType: capture.LinkRaw}}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		} else if d := cmp.Diff(want, ps); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	if _, err := readAllPackets([]byte("GIF89a, not a capture at all")); err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a GIF: %v, want an error naming the magic", err)
	}
	if _, err := readAllPackets(pcapFile(binary.LittleEndian, 0xa1b2c3d4, 1)[:20]); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a cut file header: %v, want io.ErrUnexpectedEOF", err)
	}
	huge := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 1, pcapRec(binary.LittleEndian, 0, 0, nil, 0))
	binary.LittleEndian.PutUint32(huge[24+8:], 1<<30)
	if _, err := readAllPackets(huge); err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a packet claiming 1 GiB: %v, want an error naming the length", err)
	}
}

// ngBuilder writes pcapng blocks in either byte order, by hand, to give
// the reader what our writer never writes.
type ngBuilder struct {
	o binary.AppendByteOrder
	b []byte
}

func (n *ngBuilder) block(typ uint32, body []byte) *ngBuilder {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	total := uint32(12 + len(body))
	n.b = n.o.AppendUint32(n.b, typ)
	n.b = n.o.AppendUint32(n.b, total)
	n.b = append(n.b, body...)
	n.b = n.o.AppendUint32(n.b, total)
	return n
}

func (n *ngBuilder) shb() *ngBuilder {
	b := n.o.AppendUint32(nil, 0x1a2b3c4d)
	b = n.o.AppendUint16(b, 1)
	b = n.o.AppendUint16(b, 0)
	b = n.o.AppendUint64(b, ^uint64(0))
	return n.block(0x0a0d0d0a, b)
}

// idb: link type, snap length, then options as code, value pairs.
func (n *ngBuilder) idb(link uint16, snap uint32, opts ...any) *ngBuilder {
	b := n.o.AppendUint16(nil, link)
	b = n.o.AppendUint16(b, 0)
	b = n.o.AppendUint32(b, snap)
	for i := 0; i < len(opts); i += 2 {
		v := opts[i+1].([]byte)
		b = n.o.AppendUint16(b, uint16(opts[i].(int)))
		b = n.o.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	if len(opts) > 0 {
		b = append(b, 0, 0, 0, 0)
	}
	return n.block(1, b)
}

func (n *ngBuilder) epb(typ uint32, iface uint32, ts uint64, data []byte, wire uint32) *ngBuilder {
	var b []byte
	if typ == 2 { // obsolete packet block: 16-bit interface, 16-bit drops
		b = n.o.AppendUint16(nil, uint16(iface))
		b = n.o.AppendUint16(b, 0)
	} else {
		b = n.o.AppendUint32(nil, iface)
	}
	b = n.o.AppendUint32(b, uint32(ts>>32))
	b = n.o.AppendUint32(b, uint32(ts))
	b = n.o.AppendUint32(b, uint32(len(data)))
	b = n.o.AppendUint32(b, wire)
	return n.block(typ, append(b, data...))
}

func (n *ngBuilder) spb(data []byte, wire uint32) *ngBuilder {
	return n.block(3, append(n.o.AppendUint32(nil, wire), data...))
}

// TestFileReaderPcapNGVariants: big- and little-endian sections in one
// file, interfaces of several link types and stamp resolutions (decimal,
// binary, with an offset), enhanced, obsolete and simple packet blocks,
// and blocks the reader does not know, skipped.
func TestFileReaderPcapNGVariants(t *testing.T) {
	data := []byte("\x60payload-of-13")
	be := &ngBuilder{o: binary.BigEndian}
	be.shb().
		idb(101, 0, 9, []byte{3}).                                          // milliseconds
		idb(276, 8, 9, []byte{0x80 | 10}, 14, be.o.AppendUint64(nil, 100)). // 2^-10 s, +100 s
		block(0x00000bad, []byte("custom block, skipped")).
		epb(6, 0, 1500, data, 13).
		block(4, []byte("name resolution, skipped")).
		epb(6, 1, 3<<10|512, data, 20).
		spb(data, 13) // cut to interface 0's snap length 0: none; to the wire length 13
	le := &ngBuilder{o: binary.LittleEndian}
	le.shb().idb(1, 0).epb(2, 0, 2_000_001, data, 13).block(5, make([]byte, 12)) // default µs; a statistics block
	ps, err := readAllPackets(append(be.b, le.b...))
	if err != nil {
		t.Fatal(err)
	}
	want := []capture.FilePacket{
		{Data: data, Time: time.Unix(1, 500e6).UTC(), WireLen: 13, LinkType: 101},
		{Data: data, Time: time.Unix(103, 500e6).UTC(), WireLen: 20, LinkType: 276},
		{Data: data[:13], WireLen: 13, LinkType: 101},
		{Data: data, Time: time.Unix(2, 1000).UTC(), WireLen: 13, LinkType: 1},
	}
	if d := cmp.Diff(want, ps); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	for name, bad := range map[string][]byte{
		"unknown interface": (&ngBuilder{o: binary.BigEndian}).shb().epb(6, 0, 0, data, 13).b,
		"bad byte-order":    append([]byte("\x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x00\x00\x00\x00"), make([]byte, 16)...),
		"length not x4":     append((&ngBuilder{o: binary.LittleEndian}).shb().idb(1, 0).b, 6, 0, 0, 0, 13, 0, 0, 0),
		"caplen overruns":   (&ngBuilder{o: binary.LittleEndian}).shb().idb(1, 0).epb(6, 0, 0, nil, 0).b,
		"tsresol 10^-40":    (&ngBuilder{o: binary.LittleEndian}).shb().idb(1, 0, 9, []byte{40}).b,
	} {
		if name == "caplen overruns" {
			binary.LittleEndian.PutUint32(bad[len(bad)-12:], 1000)
		}
		if _, err := readAllPackets(bad); err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %v, want an error saying what is wrong", name, err)
		}
	}
}

// TestFileReaderSamePcapgo: on every capture in explain's testdata
// (written by tcpdump) both readers agree packet for packet.
func TestFileReaderSamePcapgo(t *testing.T) {
	paths, _ := filepath.Glob("../explain/testdata/*.pcap*")
	if len(paths) == 0 {
		t.Fatal("no captures in ../explain/testdata")
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := readAllPackets(b)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		i := 0
		next := pcapgoReader(t, b)
		for ; ; i++ {
			data, stamp, wire, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || i >= len(ps) || !bytes.Equal(data, ps[i].Data) || !stamp.Equal(ps[i].Time) || wire != ps[i].WireLen {
				t.Fatalf("%s packet %d: pcapgo %v %v %d, ours differ or end", path, i, err, stamp, wire)
			}
		}
		if i != len(ps) {
			t.Errorf("%s: pcapgo read %d packets, ours %d", path, i, len(ps))
		}
	}
}

func pcapgoReader(t *testing.T, b []byte) func() ([]byte, time.Time, int, error) {
	t.Helper()
	if bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		return func() ([]byte, time.Time, int, error) {
			d, ci, err := r.ReadPacketData()
			return d, ci.Timestamp, ci.Length, err
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return func() ([]byte, time.Time, int, error) {
		d, ci, err := r.ReadPacketData()
		return d, ci.Timestamp, ci.Length, err
	}
}

// FuzzFileReader: any bytes are read without a panic, no packet is longer
// than MaxFilePacket, and the reader ends with EOF or an error.
func FuzzFileReader(f *testing.F) {
	frames, stamps := testFrames()
	f.Add(writeFrames(f, false, frames, stamps))
	f.Add(writeFrames(f, true, frames, stamps))
	be := &ngBuilder{o: binary.BigEndian}
	f.Add(be.shb().idb(101, 0, 9, []byte{0x83}).epb(6, 0, 9, []byte("\x45abc"), 4).spb([]byte("xy"), 2).epb(2, 0, 1, nil, 0).b)
	f.Add(pcapFile(binary.BigEndian, 0xa1b2c3d4, 113, pcapRec(binary.BigEndian, 1, 2, []byte("cooked"), 6)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := capture.NewFileReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for n := 0; ; n++ {
			p, err := r.Next()
			if err != nil {
				return
			}
			if len(p.Data) > capture.MaxFilePacket || n > len(b) {
				t.Fatalf("packet %d of %d bytes from a file of %d", n, len(p.Data), len(b))
			}
		}
	})
}

// TestWriterTshark: tshark and tcpdump read our pcap and pcapng files
// (statistics block included): every packet, its nanosecond stamp, wire
// and kept lengths, and for pcapng the interface's name.
func TestWriterTshark(t *testing.T) {
	_, errT := exec.LookPath("tshark")
	_, errD := exec.LookPath("tcpdump")
	testenv.Require(t, errT == nil && errD == nil, "tshark or tcpdump is not installed (apt-get install tshark tcpdump)")
	frames, stamps := testFrames()
	for _, ng := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, writeFrames(t, ng, frames, stamps), 0o600); err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for i, f := range frames {
			iface := ""
			if ng {
				iface = "veth7"
			}
			fmt.Fprintf(&want, "%d.%09d\t%d\t%d\t%s\n", stamps[i].Unix(), stamps[i].Nanosecond(), len(f)+i, len(f), iface)
		}
		out, err := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch",
			"-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_name").Output()
		if err != nil {
			t.Fatalf("ng=%v: tshark -r: %v", ng, err)
		}
		if d := cmp.Diff(want.String(), string(out)); d != "" {
			t.Errorf("ng=%v: tshark -r (-want +got):\n%s", ng, d)
		}
		out, err = exec.Command("tcpdump", "-nn", "-r", path).Output()
		if n := strings.Count(string(out), "\n"); err != nil || n != len(frames) {
			t.Errorf("ng=%v: tcpdump -r: %v, %d lines, want %d:\n%s", ng, err, n, len(frames), out)
		}
	}
}
