package capture_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// udpFlood is a UDP sender and a receiver that never reads, both on lo of
// a private namespace (no other traffic), and a capture of the receiver's
// port there.
type udpFlood struct {
	ns   *netns.NS
	c    *capture.Capture
	conn net.Conn
	next uint64 // sequence number of the next datagram
}

func newUDPFlood(t *testing.T, cfg capture.Config) *udpFlood {
	t.Helper()
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	f := &udpFlood{ns: ns}
	err = ns.Do(func() error {
		sink, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		t.Cleanup(func() { sink.Close() })
		if f.conn, err = net.Dial("udp4", sink.LocalAddr().String()); err != nil {
			return err
		}
		t.Cleanup(func() { f.conn.Close() })
		cfg.Ports = []uint16{uint16(sink.LocalAddr().(*net.UDPAddr).Port)}
		f.c, err = capture.Open(&cfg)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.c.Close() })
	return f
}

// send sends n datagrams of size bytes, each starting with its sequence
// number.
func (f *udpFlood) send(t *testing.T, n, size int) {
	t.Helper()
	if err := f.trySend(n, size); err != nil {
		t.Fatal(err)
	}
}

func (f *udpFlood) trySend(n, size int) error {
	b := make([]byte, size)
	for range n {
		binary.BigEndian.PutUint64(b, f.next)
		f.next++
		if _, err := f.conn.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// seqOf is the sequence number a datagram carries.
func seqOf(t *testing.T, frame []byte) uint64 {
	t.Helper()
	s, err := capture.Decode(frame)
	if err != nil || len(s.Payload) < 8 {
		t.Fatalf("frame %x: %v (payload %d bytes)", frame, err, len(s.Payload))
	}
	return binary.BigEndian.Uint64(s.Payload)
}

// readSeq reads one datagram's sequence number, through NextFrame (the ring
// slot itself) or Next (a copy, decoded).
func readSeq(t *testing.T, c *capture.Capture, frames bool, timeout time.Duration) (uint64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if frames {
		f, err := c.NextFrame(ctx)
		if err != nil {
			return 0, err
		}
		return seqOf(t, f.Data), nil
	}
	s, err := c.Next(ctx)
	if err != nil {
		return 0, err
	}
	return seqOf(t, s.Raw), nil
}

// TestRingWraps: 4,000 datagrams of 1,000 bytes go through a 1 MiB ring
// (8 blocks of 128 KiB) in ten rounds, several times round it, read through
// either reader. Every datagram the kernel kept comes out once and in
// order, and they are all that it kept (Packets − Drops). Drops are
// allowed: with a 1 ms block timeout a block may carry a handful of
// frames, so a reader the loaded machine leaves unscheduled for ~10 ms
// finds all 8 blocks full.
func TestRingWraps(t *testing.T) {
	testenv.RequireRoot(t)
	f := newUDPFlood(t, capture.Config{RingSize: 1 << 20})
	const rounds, perRound = 10, 400
	var read uint64
	last := int64(-1)
	for round := range rounds {
		f.send(t, perRound, 1000)
		for last < int64(f.next-1) {
			got, err := readSeq(t, f.c, round%2 == 1, time.Second)
			if errors.Is(err, context.DeadlineExceeded) {
				break // the rest of the round was dropped (checked below)
			}
			if err != nil {
				t.Fatalf("round %d: after datagram %d: %v", round, last, err)
			}
			if int64(got) <= last {
				t.Fatalf("round %d: datagram %d after %d", round, got, last)
			}
			last = int64(got)
			read++
		}
	}
	st, err := f.c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != rounds*perRound || read != st.Packets-st.Drops {
		t.Errorf("read %d datagrams; Stats = %+v, want %d packets of which all but the drops read", read, st, rounds*perRound)
	}
	if read*1000 < 2<<20 {
		t.Errorf("only %d datagrams read (%d dropped): the ring was not gone round twice", read, st.Drops)
	}
	t.Logf("%d datagrams read, %d dropped", read, st.Drops)
}

// TestRingFullDrops: with nobody reading, a 1 MiB ring takes what fits and
// the kernel counts the rest as drops; what was kept then comes out in
// order, exactly Packets − Drops frames, and Close keeps the counts.
func TestRingFullDrops(t *testing.T) {
	testenv.RequireRoot(t)
	f := newUDPFlood(t, capture.Config{RingSize: 1})
	const sent = 3000 // about 3.3 MB of ring space
	f.send(t, sent, 1000)
	time.Sleep(20 * time.Millisecond) // the last block's timeout (1 ms) hands it over
	st, err := f.c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != sent || st.Drops == 0 || st.Drops >= sent {
		t.Fatalf("Stats = %+v, want %d packets, some but not all dropped", st, sent)
	}
	var n uint64
	last := int64(-1)
	for {
		got, err := readSeq(t, f.c, true, 200*time.Millisecond)
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if int64(got) <= last {
			t.Fatalf("datagram %d after %d", got, last)
		}
		last = int64(got)
		n++
	}
	if n != st.Packets-st.Drops {
		t.Errorf("read %d frames, want Packets − Drops = %d (%+v)", n, st.Packets-st.Drops, st)
	}
	f.c.Close()
	after, err := f.c.Stats()
	if err != nil || after != st {
		t.Errorf("Stats after Close = %+v, %v; want %+v", after, err, st)
	}
}

// TestRingSize: the ring mapped is RingSize rounded up to whole blocks, at
// least 8 of them; 0 is 16 MiB. Blocks are 128 KiB for a live capture;
// a batched one (-w) takes blocks up to 512 KiB while 8 still fit.
func TestRingSize(t *testing.T) {
	testenv.RequireRoot(t)
	const batched = 200 * time.Millisecond
	tests := []struct {
		name  string
		size  int
		batch time.Duration
		want  int
	}{
		{"default", 0, 0, 16 << 20},
		{"tcpdump -B 4096", 4 << 20, 0, 4 << 20},
		{"rounded up to a block", 4<<20 + 1, 0, 4<<20 + 128<<10},
		{"at least 8 blocks", 1, 0, 1 << 20},
		{"batched, default", 0, batched, 16 << 20},
		{"batched, rounded up to a 512 KiB block", 4<<20 + 1, batched, 4<<20 + 512<<10},
		{"batched, 256 KiB blocks for 8 in 2 MiB", 2<<20 + 1, batched, 2<<20 + 256<<10},
		{"batched, at least 8 blocks of 128 KiB", 1, batched, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := socketMappings(t)
			c, err := capture.Open(&capture.Config{Ports: []uint16{1}, RingSize: tt.size, Batch: tt.batch})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var got []int
			for m, size := range socketMappings(t) {
				if _, ok := before[m]; !ok {
					got = append(got, size)
				}
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("new socket mappings %v, want one of %d bytes", got, tt.want)
			}
		})
	}
}

// socketMappings lists this process's mappings of sockets (the packet
// rings) from /proc/self/maps: their sizes by address range.
func socketMappings(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	maps := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "socket:") {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("/proc/self/maps: %q", sc.Text())
		}
		maps[fields[0]+" "+fields[5]] = int(b - a)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return maps
}

// TestCloseDuringBlock: Close from another goroutine while the reader is in
// the middle of a block (frames left in it, traffic still coming). The
// reader touches every byte of each frame it gets: a ring unmapped under it
// would crash the test. It ends with io.EOF soon after Close, and nothing
// stays mapped.
func TestCloseDuringBlock(t *testing.T) {
	testenv.RequireRoot(t)
	before := socketMappings(t)
	for i := range 20 {
		f := newUDPFlood(t, capture.Config{RingSize: 1})
		f.send(t, 300, 200) // more than one block
		done := make(chan error, 1)
		got := make(chan struct{})
		go func() {
			var sum byte
			for n := 0; ; n++ {
				fr, err := f.c.NextFrame(context.Background())
				if err != nil {
					done <- err
					return
				}
				for _, b := range fr.Data {
					sum += b
				}
				if n == 10 {
					close(got)
				}
			}
		}()
		<-got
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := f.trySend(100, 200); err != nil {
				t.Error(err)
			}
		})
		time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
		if err := f.c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-done:
			if !errors.Is(err, io.EOF) {
				t.Errorf("NextFrame after Close: %v, want io.EOF", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("NextFrame still reading 5 s after Close")
		}
		wg.Wait()
	}
	if after := socketMappings(t); len(after) > len(before) {
		t.Errorf("rings still mapped after Close: %v (before: %v)", after, before)
	}
}

// TestContextEndsWait: a wait ended by its ctx's deadline leaves no
// deadline behind: the next read, with a ctx that never ends, still gets
// the next datagram.
func TestContextEndsWait(t *testing.T) {
	testenv.RequireRoot(t)
	f := newUDPFlood(t, capture.Config{})
	start := time.Now()
	if _, err := readSeq(t, f.c, true, 30*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NextFrame with nothing to read: %v, want the ctx's deadline", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("the 30 ms ctx ended the wait after %v", waited)
	}
	f.send(t, 1, 100)
	stop := time.AfterFunc(10*time.Second, func() { f.c.Close() }) // rather than hang
	defer stop.Stop()
	s, err := f.c.Next(context.Background()) // a ctx with no Done: no deadline set
	if err != nil || binary.BigEndian.Uint64(s.Payload) != 0 {
		t.Fatalf("Next after an ended wait: %v", err)
	}
}
