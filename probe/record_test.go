package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/record"
)

// TestDiagramFromRecords: a check's packets, now folded into records, draw
// the same diagram events and give the same reset evidence as the probe's
// own bookkeeping did before (kept below as the reference), on connections
// tcpdump captured from real programs (explain's test captures: data after
// close, aborts, a lost final ACK, retransmitted SYNs, a refused connect),
// and on two of them interleaved as one check's two connections to the same
// server.
func TestDiagramFromRecords(t *testing.T) {
	files, err := filepath.Glob("../explain/testdata/*.pcap*")
	if err != nil || len(files) < 5 {
		t.Fatalf("explain's test captures: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			compareWithReference(t, readSegments(t, f))
		})
	}
	t.Run("two-connections", func(t *testing.T) {
		a := readSegments(t, "../explain/testdata/expA.pcap")
		b := readSegments(t, "../explain/testdata/http-close.pcap")
		c := compareWithReference(t, interleave(a, b))
		switches := 0
		for i := 1; i < len(c.wire); i++ {
			if c.wire[i].conn != c.wire[i-1].conn {
				switches++
			}
		}
		if len(c.conns) != 2 || switches < 2 {
			t.Fatalf("%d connections, the capture switches %d times between them: want 2, interleaved", len(c.conns), switches)
		}
	})
}

// compareWithReference runs segs through a check whose server is the
// first SYN's destination and whose ports are the clients' ports.
func compareWithReference(t *testing.T, segs []capture.Segment) *Check {
	t.Helper()
	log := &callLog{start: segs[0].Time.Add(-time.Millisecond)}
	for _, s := range segs {
		if s.Flags.Has(capture.SYN) && !s.Flags.Has(capture.ACK) {
			if !log.server.IsValid() {
				log.server = s.Dst
			}
			if s.Dst == log.server && !slices.Contains(log.ports, s.Src.Port()) {
				log.ports = append(log.ports, s.Src.Port())
			}
		}
	}
	c := &Check{log: log}
	c.addSegments(segs)
	var owned []capture.Segment
	for _, s := range segs {
		if log.owns(s) {
			owned = append(owned, s)
		}
	}
	if len(owned) == 0 || len(c.Packets) != len(owned) {
		t.Fatalf("%d segments owned, %d packets attached", len(owned), len(c.Packets))
	}
	got, want := c.packetEvents(), referenceEvents(owned, log)
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("event %d of %d/%d: got %+v %+v, want %+v %+v", i, len(got), len(want), got[i], *got[i].Packet, want[i], *want[i].Packet)
			}
		}
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	wantEv := ""
	if n, resets := referenceServerSent(owned, log.server); resets > 0 {
		wantEv = fmt.Sprintf("; capture: %d [R] from the server, which had sent %d bytes of data", resets, n)
	}
	if c.Evidence != wantEv || c.RST != (wantEv != "") {
		t.Errorf("evidence %q (RST %v), want %q", c.Evidence, c.RST, wantEv)
	}
	return c
}

func readSegments(t *testing.T, name string) []capture.Segment {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var segs []capture.Segment
	_, err = record.ReadFile(f, func(s *capture.Segment) {
		c := *s // the callback's byte slices are reused
		c.Payload, c.OptionBytes, c.Raw = slices.Clone(s.Payload), slices.Clone(s.OptionBytes), nil
		segs = append(segs, c)
	})
	if err != nil || len(segs) == 0 {
		t.Fatalf("%s: %v (%d segments)", name, err, len(segs))
	}
	return segs
}

// interleave moves b's connection onto a's server, its times to start 1 ms
// after a's first packet, and merges both in time order: one check's two
// connections open at once.
func interleave(a, b []capture.Segment) []capture.Segment {
	var srvA, srvB netip.AddrPort
	for _, s := range a {
		if s.Flags == capture.SYN {
			srvA = s.Dst
			break
		}
	}
	for _, s := range b {
		if s.Flags == capture.SYN {
			srvB = s.Dst
			break
		}
	}
	shift := a[0].Time.Add(time.Millisecond).Sub(b[0].Time)
	out := slices.Clone(a)
	for _, s := range b {
		s.Time = s.Time.Add(shift)
		if s.Src == srvB {
			s.Src = srvA
		}
		if s.Dst == srvB {
			s.Dst = srvA
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(x, y capture.Segment) int { return x.Time.Compare(y.Time) })
	return out
}

// referenceEvents is the probe's diagram bookkeeping before it moved onto
// record: each direction numbered from its last SYN, lanes by the server's
// address, the client's port in Info.
func referenceEvents(segs []capture.Segment, log *callLog) []lab.Event {
	isn := map[string]uint32{}
	var out []lab.Event
	for _, s := range segs {
		from, to := "client", "server"
		if s.Src == log.server {
			from, to = "server", "client"
		}
		fwd, back := s.Src.String()+">"+s.Dst.String(), s.Dst.String()+">"+s.Src.String()
		if s.Flags.Has(capture.SYN) {
			isn[fwd] = s.Seq
		}
		port := s.Src.Port()
		if from == "server" {
			port = s.Dst.Port()
		}
		p := &lab.Packet{From: from, To: to, Proto: "tcp", Flags: s.Flags.String(),
			Seq: s.Seq - isn[fwd], Ack: s.Ack - isn[back], Len: s.Len, Win: s.Win, Info: fmt.Sprintf("port %d", port)}
		if !s.Flags.Has(capture.ACK) {
			p.Ack = 0
		}
		out = append(out, lab.Event{T: s.Time.Sub(log.start), Kind: lab.KindPacket, Packet: p})
	}
	return out
}

// referenceServerSent is the evidence's count before the move.
func referenceServerSent(segs []capture.Segment, server netip.AddrPort) (bytes int64, resets int) {
	isn := map[netip.AddrPort]uint32{}
	high := map[netip.AddrPort]int64{}
	for _, s := range segs {
		if s.Src != server {
			continue
		}
		if s.Flags.Has(capture.SYN) {
			isn[s.Dst] = s.Seq + 1
		}
		if s.Flags.Has(capture.RST) {
			resets++
		}
		if _, known := isn[s.Dst]; known && s.Len > 0 {
			high[s.Dst] = max(high[s.Dst], int64(s.Seq-isn[s.Dst])+int64(s.Len))
		}
	}
	for _, h := range high {
		bytes += h
	}
	return bytes, resets
}

// TestLiveDiagramFromRecords: on a live probe of Go's net/http (root: the
// probe captures its own packets), every check's diagram events and reset
// evidence equal what the old bookkeeping makes of the same captured
// segments; the battery's checks open one connection or several at once.
func TestLiveDiagramFromRecords(t *testing.T) {
	testenv.RequireRoot(t)
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // plain TCP (ARCHITECTURE.md)
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	large := strings.Repeat("x", 300<<10)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := "hello\n"
		if r.URL.Path == "/large" {
			b = large
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = io.WriteString(w, b) // a client gone mid-reply is one of the checks
	})}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	defer func() { _ = srv.Close(); <-done }()

	tg, err := newTarget(&Config{Addr: l.Addr().String(), Large: "/large", MaxWait: 10 * time.Second, Packets: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tg.preflight(ctx); err != nil {
		t.Fatal(err)
	}
	rec, note := startRecorder(tg)
	if rec == nil {
		t.Fatalf("no capture: %s", note)
	}
	several := 0
	for _, c := range tg.runAll(ctx, rec) {
		var owned []capture.Segment
		for _, s := range rec.segs {
			if c.log.owns(s) {
				owned = append(owned, s)
			}
		}
		if len(owned) == 0 {
			continue // a check that opened no connection (n/a)
		}
		if len(c.conns) > 1 {
			several++
		}
		if got, want := c.packetEvents(), referenceEvents(owned, c.log); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the diagram's %d packet events differ from the old bookkeeping's %d", c.Name, len(got), len(want))
		}
		if n, resets := referenceServerSent(owned, c.log.server); resets > 0 {
			if want := fmt.Sprintf("; capture: %d [R] from the server, which had sent %d bytes of data", resets, n); !strings.HasSuffix(c.Evidence, want) {
				t.Errorf("%s: evidence %q, want it to end with %q", c.Name, c.Evidence, want)
			}
		} else if strings.Contains(c.Evidence, "; capture:") {
			t.Errorf("%s: evidence %q names resets the old bookkeeping did not count", c.Name, c.Evidence)
		}
	}
	if several == 0 {
		t.Error("no check opened several connections: the test did not see the case it is for")
	}
}

// TestStopReadsEverything: stopping the recorder waits until its reader
// has read everything captured before, however far behind the kernel the
// reader is. Here the reader is held up (the test holds the lock it stores
// segments under) through a few connections spread over several of the
// ring's blocks, and stop is called at once: every connection's SYN and
// both FINs must still be in the record. Under load the probe used to stop
// its capture 5 ms after the last check and lost what the reader had not
// reached (a whole check came out with no packet).
func TestStopReadsEverything(t *testing.T) {
	testenv.RequireRoot(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	testenv.ServeUntilEOF(t, l)
	rec, note := startRecorder(&target{cfg: &Config{Addr: l.Addr().String(), Packets: true}})
	if rec == nil {
		t.Fatalf("no capture: %s", note)
	}
	rec.mu.Lock() // the reader stalls on its first segment
	const conns = 5
	var ports []uint16
	for range conns {
		c, err := net.Dial("tcp4", l.Addr().String())
		if err != nil {
			rec.mu.Unlock()
			t.Fatal(err)
		}
		ports = append(ports, uint16(c.LocalAddr().(*net.TCPAddr).Port))
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c) // the server's FIN
		c.Close()
		time.Sleep(3 * time.Millisecond) // the next connection lands in a later block (1 ms block timeout)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		rec.mu.Unlock()
	}()
	rec.stop()
	if n := rec.captureNote(); n != "" {
		t.Fatalf("note: %s", n)
	}
	server := netip.MustParseAddrPort(l.Addr().String())
	for _, p := range ports {
		var syn, fins int
		for _, s := range rec.segs {
			if s.Proto != capture.TCP || (s.Src.Port() != p && s.Dst.Port() != p) || (s.Src != server && s.Dst != server) {
				continue
			}
			if s.Flags.Has(capture.SYN) && !s.Flags.Has(capture.ACK) {
				syn++
			}
			if s.Flags.Has(capture.FIN) {
				fins++
			}
		}
		if syn != 1 || fins != 2 {
			t.Errorf("client port %d: %d SYN and %d FINs recorded, want 1 and 2 (%d segments in all)", p, syn, fins, len(rec.segs))
		}
	}
}

// TestAttachSaysNoneCaptured: a check whose connections left no segment in
// the capture says so in its evidence instead of drawing an exchange with
// no packets as if there had been none.
func TestAttachSaysNoneCaptured(t *testing.T) {
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	other := capture.Segment{Proto: capture.TCP, Src: netip.MustParseAddrPort("127.0.0.1:40001"), Dst: server, Flags: capture.SYN}
	c := &Check{Evidence: "server closed", log: &callLog{server: server, ports: []uint16{40000}}}
	(&recorder{segs: []capture.Segment{other}}).attach(c)
	if want := "server closed; capture: none of this check's packets was captured"; c.Evidence != want {
		t.Errorf("evidence %q, want %q", c.Evidence, want)
	}
	c = &Check{Evidence: "server closed", log: &callLog{server: server, ports: []uint16{40001}}}
	(&recorder{segs: []capture.Segment{other}}).attach(c)
	if c.Evidence != "server closed" || len(c.Packets) != 1 {
		t.Errorf("evidence %q, %d packets: want it unchanged and the SYN", c.Evidence, len(c.Packets))
	}
}
