package record_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/record"
	rt "github.com/tcpteardown/teardown/record/recordtest"
	"github.com/tcpteardown/teardown/tcpstate"
	"github.com/tcpteardown/teardown/trace"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	cli = "10.0.0.1:40000"
	srv = "10.0.0.2:80"
)

// build runs segments through a Builder that keeps every packet and
// returns the connections in the order they were handed over.
func build(t testing.TB, segs []capture.Segment) []*record.Conn {
	t.Helper()
	var out []*record.Conn
	b := &record.Builder{Done: func(c *record.Conn) { out = append(out, c) }, Keep: func(int) bool { return true }}
	for i := range segs {
		b.Add(&segs[i])
	}
	b.Flush()
	return out
}

func one(t testing.TB, segs []capture.Segment) *record.Conn {
	t.Helper()
	cs := build(t, segs)
	if len(cs) != 1 {
		t.Fatalf("got %d connections, want 1", len(cs))
	}
	return cs[0]
}

// TestSequenceSpace: relative numbers, bytes sent and acknowledged, the
// FIN's position and its ACK, as tcpdump would number them.
func TestSequenceSpace(t *testing.T) {
	c := rt.New(cli, srv).Handshake().Data(0, "hello").Ack(1).Data(1, "Hi, hello").Fin(0).Ack(1).Fin(1).Ack(0)
	r := one(t, c.Segs)
	type side struct {
		Bytes, Acked int64
		FINSeq       uint32
		FINAcked     bool
	}
	got := [2]side{}
	for i, s := range r.Sides {
		got[i] = side{s.Bytes, s.Acked, s.FIN.Seq, s.FINAck.Seen}
	}
	// The SYN takes number 0, "hello" 1–5, so the client's FIN is seq 6.
	want := [2]side{{5, 5, 6, true}, {9, 9, 10, true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sides (-want +got):\n%s", d)
	}
	if !r.Handshake || !r.SynAck || r.Closer != record.Client || !r.Finished() {
		t.Errorf("handshake %v synack %v closer %d finished %v, want true true 0 true", r.Handshake, r.SynAck, r.Closer, r.Finished())
	}
	p := r.Timeline[3] // the client's "hello"
	if p.Seq != 1 || p.Ack != 1 || p.Len != 5 || p.From != record.Client {
		t.Errorf("packet 4 = seq %d ack %d len %d from %d, want seq 1 ack 1 len 5 from client", p.Seq, p.Ack, p.Len, p.From)
	}
}

// TestBytesPastWrap: a transfer of 5 GiB crosses the 32-bit sequence
// space; its byte counts go on (they are counted by advance, not as the
// highest number minus the first), and the acknowledged bytes with them.
func TestBytesPastWrap(t *testing.T) {
	c := rt.New(cli, srv).Handshake()
	const chunk = 1 << 30
	seq, ack := uint32(1001), uint32(500001) // after the handshake (recordtest's ISNs 1000 and 500000)
	segs := c.Segs
	for range 5 {
		d := capture.Segment{Proto: capture.TCP, Src: c.Addr[0], Dst: c.Addr[1], Flags: capture.ACK, Seq: seq, Ack: ack, Len: chunk, Win: 512}
		seq += chunk
		a := capture.Segment{Proto: capture.TCP, Src: c.Addr[1], Dst: c.Addr[0], Flags: capture.ACK, Seq: ack, Ack: seq, Win: 512}
		segs = append(segs, d, a)
	}
	for i := range segs[3:] {
		segs[3+i].Time = segs[2].Time.Add(time.Duration(i+1) * time.Second)
	}
	r := one(t, segs)
	if sd := r.Sides[record.Client]; sd.Bytes != 5*chunk || sd.Acked != 5*chunk {
		t.Errorf("client sent %d bytes, %d acked; want %d and %d", sd.Bytes, sd.Acked, int64(5*chunk), int64(5*chunk))
	}
}

// TestRetransmissions: data, SYN and FIN sent again count; a keep-alive
// and a reordered segment do not.
func TestRetransmissions(t *testing.T) {
	tests := []struct {
		name string
		conv func() *rt.Conv
		want [2]int
	}{
		{"data resent", func() *rt.Conv {
			c := rt.New(cli, srv).Handshake().Data(0, "abc")
			return c.Gap(300 * time.Millisecond).Resend(3).Ack(1)
		}, [2]int{1, 0}},
		{"syn resent", func() *rt.Conv {
			c := rt.New(cli, srv).Send(0, capture.SYN, "")
			return c.Gap(time.Second).Resend(0)
		}, [2]int{1, 0}},
		{"fin resent", func() *rt.Conv {
			c := rt.New(cli, srv).Handshake().Fin(1)
			return c.Gap(200 * time.Millisecond).Resend(3).Gap(400 * time.Millisecond).Resend(3)
		}, [2]int{0, 2}},
		{"keep-alive", func() *rt.Conv {
			c := rt.New(cli, srv).Handshake().Data(0, "abc").Ack(1)
			s := c.Segs[3]
			return c.Gap(time.Minute).Seg(0, capture.ACK, s.Seq+2, s.Ack, "", 512)
		}, [2]int{0, 0}},
		{"reordered", func() *rt.Conv {
			c := rt.New(cli, srv).Handshake().Data(0, "abc").Data(0, "def")
			s := c.Segs[3]
			// "abc" again 100 µs later, ending below the highest: reordering.
			return c.Gap(100*time.Microsecond).Seg(0, capture.ACK|capture.PSH, s.Seq, s.Ack, "ab", 512)
		}, [2]int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := one(t, tt.conv().Segs)
			got := [2]int{r.Sides[0].Retrans, r.Sides[1].Retrans}
			if got != tt.want {
				t.Errorf("retransmissions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestZeroWindow(t *testing.T) {
	c := rt.New(cli, srv).Handshake().Data(0, "abc").Win(1, 0).Win(1, 0).Win(1, 100).Fin(1)
	r := one(t, c.Segs)
	if r.Sides[record.Server].ZeroWindows != 2 {
		t.Errorf("server zero windows = %d, want 2", r.Sides[record.Server].ZeroWindows)
	}
	if r.ZeroWindowAtClose {
		t.Errorf("zero window at close, but the window reopened before the FIN")
	}
	c = rt.New(cli, srv).Handshake().Data(0, "abc").Win(1, 0).Rst(1)
	if r := one(t, c.Segs); !r.ZeroWindowAtClose {
		t.Errorf("a zero window then RST: ZeroWindowAtClose false")
	}
}

// TestWindowScale: a window is shifted by the sender's scale only when
// both SYNs carried the option (RFC 7323 §2.2).
func TestWindowScale(t *testing.T) {
	c := rt.New(cli, srv).Handshake().Win(1, 3)
	if w := one(t, c.Segs).Sides[record.Server].Win; w != 3<<7 {
		t.Errorf("scaled window = %d, want %d", w, 3<<7)
	}
	c = rt.New(cli, srv).Handshake().Win(1, 3)
	c.Segs[0].OptionBytes = nil // the client offered no scaling
	if w := one(t, c.Segs).Sides[record.Server].Win; w != 3 {
		t.Errorf("unscaled window = %d, want 3", w)
	}
}

// TestClientWithoutSYN: mid-stream, the ephemeral port is the client.
func TestClientWithoutSYN(t *testing.T) {
	c := rt.New(cli, srv)
	c.Seg(1, capture.ACK|capture.PSH, 7, 9, "data", 512)
	r := one(t, c.Segs)
	if r.Sides[record.Client].Addr.String() != cli || r.Handshake {
		t.Errorf("client = %s handshake %v, want %s false", r.Sides[record.Client].Addr, r.Handshake, cli)
	}
}

// TestStreaming: a finished connection is handed over once Linger of
// capture time has passed, not at the end; a reused port is a new
// connection.
func TestStreaming(t *testing.T) {
	var done []int
	var open []int
	b := &record.Builder{Linger: time.Second, Done: func(c *record.Conn) { done = append(done, c.ID) }}
	first := rt.New(cli, srv).Handshake().Fin(0).Fin(1).Ack(0).Segs
	for i := range first {
		b.Add(&first[i])
	}
	// 5000 segments of another connection over 10 s of capture time.
	other := rt.New("10.0.0.3:40001", srv).Handshake()
	for range 5000 {
		other.Gap(2*time.Millisecond).Data(0, "x")
	}
	for i := range other.Segs {
		s := other.Segs[i]
		s.Time = s.Time.Add(time.Minute)
		b.Add(&s)
	}
	open = append(open, b.Open())
	if len(done) != 1 || done[0] != 1 || open[0] != 1 {
		t.Fatalf("before Flush: done %v, open %v; want [1] and 1", done, open)
	}
	again := rt.New(cli, srv)
	again.Seg(0, capture.SYN, 777, 0, "", 512)
	again.Segs[0].Time = again.Segs[0].Time.Add(time.Hour)
	b.Add(&again.Segs[0])
	b.Flush()
	if d := cmp.Diff([]int{1, 2, 3}, done); d != "" {
		t.Errorf("handed over (-want +got):\n%s", d)
	}
}

// TestAdvance: on a live capture's clock a finished connection is handed
// over once Linger has passed, with no packet after it; a connection still
// open is not, and an earlier stamp changes nothing.
func TestAdvance(t *testing.T) {
	var done []int
	b := &record.Builder{Linger: time.Second, Done: func(c *record.Conn) { done = append(done, c.ID) }}
	open := rt.New("10.0.0.3:40001", srv).Handshake().Segs
	closed := rt.New(cli, srv).Handshake().Rst(1).Segs
	for _, segs := range [][]capture.Segment{open, closed} {
		for i := range segs {
			b.Add(&segs[i])
		}
	}
	last := closed[len(closed)-1].Time
	b.Advance(last.Add(999 * time.Millisecond))
	b.Advance(last) // back in time: ignored
	if len(done) != 0 {
		t.Fatalf("handed over %v before Linger passed", done)
	}
	b.Advance(last.Add(time.Second))
	if d := cmp.Diff([]int{2}, done); d != "" || b.Open() != 1 {
		t.Errorf("handed over (-want +got):\n%s; %d open, want 1", d, b.Open())
	}
}

// TestIdle: with Idle set, a connection whose end never came is handed
// over (Expired) once quiet for that long, while another keeps sending;
// without Idle it stays.
func TestIdle(t *testing.T) {
	for _, idle := range []time.Duration{0, time.Minute} {
		var expired []int
		b := &record.Builder{Idle: idle, Done: func(c *record.Conn) {
			if c.Expired {
				expired = append(expired, c.ID)
			}
		}}
		quiet := rt.New(cli, srv).Handshake().Data(0, "hi").Segs
		for i := range quiet {
			b.Add(&quiet[i])
		}
		busy := rt.New("10.0.0.3:40001", srv).Handshake()
		for range 5000 {
			busy.Gap(30*time.Millisecond).Data(0, "x") // 150 s in all
		}
		for i := range busy.Segs {
			b.Add(&busy.Segs[i])
		}
		want := map[time.Duration][]int{0: nil, time.Minute: {1}}[idle]
		if d := cmp.Diff(want, expired); d != "" || b.Open() != 2-len(want) {
			t.Errorf("Idle %v: expired (-want +got):\n%s; %d open", idle, d, b.Open())
		}
	}
}

func TestReadFile(t *testing.T) {
	segs := rt.New(cli, srv).Handshake().Data(0, "hello").Fin(0).Fin(1).Ack(0).Segs
	segs6 := rt.New("[2001:db8::1]:40000", "[2001:db8::2]:443").Handshake().Rst(1).Segs
	all := append(append([]capture.Segment(nil), segs...), segs6...)
	for _, ng := range []bool{false, true} {
		file := rt.Pcap(all, ng)
		var got []capture.Segment
		st, err := record.ReadFile(bytes.NewReader(file), func(s *capture.Segment) { got = append(got, *s) })
		if err != nil {
			t.Fatalf("ng=%v: %v", ng, err)
		}
		if st.Packets != len(all) || st.TCP != len(all) || len(got) != len(all) {
			t.Fatalf("ng=%v: stats %+v, %d segments; want %d", ng, st, len(got), len(all))
		}
		for i := range all {
			if g, w := got[i], all[i]; g.Src != w.Src || g.Seq != w.Seq || g.Flags != w.Flags || g.Len != w.Len || !g.Time.Equal(w.Time) {
				t.Errorf("ng=%v packet %d = %v %d %s %d %v, want %v %d %s %d %v", ng, i, g.Src, g.Seq, g.Flags, g.Len, g.Time, w.Src, w.Seq, w.Flags, w.Len, w.Time)
			}
		}
		// Cut inside the last packet: everything before it still arrives.
		got = nil
		st, err = record.ReadFile(bytes.NewReader(file[:len(file)-10]), func(s *capture.Segment) { got = append(got, *s) })
		if !errors.Is(err, record.ErrTruncated) || len(got) != len(all)-1 {
			t.Errorf("ng=%v truncated: err %v, %d segments; want ErrTruncated and %d", ng, err, len(got), len(all)-1)
		}
	}
}

func TestReadFileNotPcap(t *testing.T) {
	for _, in := range []string{"", "ab", "hello world, not a capture"} {
		if _, err := record.ReadFile(bytes.NewReader([]byte(in)), func(*capture.Segment) {}); err == nil {
			t.Errorf("ReadFile(%q) = nil error", in)
		}
	}
}

// TestAddTransition: a traced state change joins the connection of its
// socket, on the side that owns the local address.
func TestAddTransition(t *testing.T) {
	var got *record.Conn
	b := &record.Builder{Done: func(c *record.Conn) { got = c }}
	segs := rt.New(cli, srv).Handshake().Fin(1).Segs
	for i := range segs {
		b.Add(&segs[i])
	}
	tr := trace.Transition{Time: segs[3].Time, Kind: trace.StateChange, Local: netip.MustParseAddrPort(srv),
		Remote: netip.MustParseAddrPort(cli), From: tcpstate.Established, To: tcpstate.FinWait1}
	other := tr
	other.Local = netip.MustParseAddrPort("10.9.9.9:1")
	if !b.AddTransition(tr) || b.AddTransition(other) {
		t.Fatalf("AddTransition: want true for the connection's socket, false for another")
	}
	b.Flush()
	// The first transition traced leaves ESTABLISHED: the socket was met
	// in mid-life.
	want := []record.State{{At: segs[3].Time, Side: record.Server, From: tcpstate.Established, To: tcpstate.FinWait1, Midlife: true}}
	if d := cmp.Diff(want, got.States); d != "" {
		t.Errorf("states (-want +got):\n%s", d)
	}
}

// TestTransitionChain: each side's transitions form a chain; a link that
// does not leave the state the previous one entered is a gap (events
// lost), an inferred TIME-WAIT is no link, and a v4-mapped socket address
// finds its IPv4 connection.
func TestTransitionChain(t *testing.T) {
	var got *record.Conn
	b := &record.Builder{Done: func(c *record.Conn) { got = c }}
	segs := rt.New(cli, srv).Handshake().Fin(0).Fin(1).Segs
	for i := range segs {
		b.Add(&segs[i])
	}
	mapped := func(s string) netip.AddrPort {
		ap := netip.MustParseAddrPort(s)
		return netip.AddrPortFrom(netip.AddrFrom16(ap.Addr().As16()), ap.Port())
	}
	c, s := netip.MustParseAddrPort(cli), mapped(srv)
	at := segs[0].Time
	steps := []struct {
		local, remote netip.AddrPort
		from, to      tcpstate.State
		inferred      bool
		gap, midlife  bool
	}{
		{c, s, tcpstate.Close, tcpstate.SynSent, false, false, false},
		{c, s, tcpstate.SynSent, tcpstate.Established, false, false, false},
		{s, c, tcpstate.SynRecv, tcpstate.Established, false, false, false},
		{c, s, tcpstate.FinWait2, tcpstate.Close, false, true, false}, // FIN-WAIT-1 → FIN-WAIT-2 lost
		{c, s, tcpstate.FinWait2, tcpstate.TimeWait, true, false, false},
		{s, c, tcpstate.LastAck, tcpstate.Close, false, true, false}, // ESTABLISHED → … → LAST-ACK lost
	}
	for i, st := range steps {
		tr := trace.Transition{Time: at, Kind: trace.StateChange, Local: st.local, Remote: st.remote,
			From: st.from, To: st.to, Inferred: st.inferred}
		conn, rec, ok := b.Transition(tr)
		if !ok || conn == nil {
			t.Fatalf("step %d: not attached", i)
		}
		if rec.Gap != st.gap || rec.Midlife != st.midlife {
			t.Errorf("step %d (%s → %s): gap %v midlife %v, want %v %v", i, st.from, st.to, rec.Gap, rec.Midlife, st.gap, st.midlife)
		}
	}
	b.Flush()
	if got == nil {
		t.Fatal("no connection")
	}
	cs, ss := &got.Sides[record.Client], &got.Sides[record.Server]
	if cs.State != tcpstate.Close || cs.StateGaps != 1 || ss.State != tcpstate.Close || ss.StateGaps != 1 || cs.Alive() {
		t.Errorf("client %s (%d gaps), server %s (%d gaps): want CLOSE with one gap each", cs.State, cs.StateGaps, ss.State, ss.StateGaps)
	}
	if g := got.States[3]; g.Prev != tcpstate.Established {
		t.Errorf("gap's Prev = %s, want ESTABLISHED (where the client's chain stood)", g.Prev)
	}
}

// TestReadFileCooked: Linux cooked frames (tcpdump -i any) are decoded,
// and the outgoing copy of a loopback packet is dropped, so that the
// incoming copy is not counted twice.
func TestReadFileCooked(t *testing.T) {
	seg := rt.New(cli, srv).Send(0, capture.SYN, "").Segs[0]
	ip := rt.Frame(seg)[14:] // without the Ethernet header
	sll := func(pkttype, arphrd uint16) []byte {
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], pkttype)
		binary.BigEndian.PutUint16(h[2:], arphrd)
		binary.BigEndian.PutUint16(h[14:], 0x0800)
		return append(h, ip...)
	}
	var file bytes.Buffer
	w := pcapgo.NewWriter(&file)
	if err := w.WriteFileHeader(65535, layers.LinkTypeLinuxSLL); err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{sll(4, 772), sll(0, 772), sll(4, 1)} { // lo out, lo in, eth0 out
		ci := gopacket.CaptureInfo{Timestamp: seg.Time, CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	st, err := record.ReadFile(&file, func(s *capture.Segment) {
		n++
		if s.Src != seg.Src || !s.Flags.Has(capture.SYN) {
			t.Errorf("decoded %v %s, want %v [S]", s.Src, s.Flags, seg.Src)
		}
	})
	if err != nil || n != 2 || st.Packets != 3 {
		t.Errorf("err %v, %d segments of %d packets; want 2 of 3 (lo's outgoing copy dropped)", err, n, st.Packets)
	}
}
