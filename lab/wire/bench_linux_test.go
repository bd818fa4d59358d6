package wire_test

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab/wire"
)

// BenchmarkWire measures what the wire costs: packets per second it
// forwards with one direction loaded and with both, and the
// one-way latency of a UDP ping-pong through it next to the same
// ping-pong over a namespace's loopback. Figures only: the machine is
// shared, so nothing is asserted.
func BenchmarkWire(b *testing.B) {
	testenv.RequireRoot(b)
	b.Run("throughput/a>b", func(b *testing.B) { benchThroughput(b, wire.AtoB) })
	b.Run("throughput/both", func(b *testing.B) { benchThroughput(b, wire.AtoB, wire.BtoA) })
	b.Run("latency", benchLatency)
}

// counter counts the packets the wire forwarded per direction and when
// the first and last went through.
type counter struct {
	mu          sync.Mutex
	n           [2]int
	first, last [2]time.Time
}

func (c *counter) add(e wire.Event) {
	if e.Action != wire.Forwarded {
		return
	}
	i := int(e.Dir) - 1
	c.mu.Lock()
	if c.n[i] == 0 {
		c.first[i] = e.Time
	}
	c.n[i]++
	c.last[i] = e.Time
	c.mu.Unlock()
}

func (c *counter) rate(i int) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return float64(c.n[i]-1) / c.last[i].Sub(c.first[i]).Seconds()
}

func benchWire(b *testing.B, onEvent func(wire.Event)) *wire.Wire {
	w, err := wire.New(context.Background(), &wire.Config{OnEvent: onEvent})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return w
}

func udpIn(b *testing.B, ns *netns.NS, addr netip.Addr) net.PacketConn {
	var c net.PacketConn
	err := ns.Do(func() (err error) {
		c, err = net.ListenPacket("udp", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// benchThroughput floods the directions dirs at once.
func benchThroughput(b *testing.B, dirs ...wire.Dir) {
	var c counter
	w := benchWire(b, c.add)
	var wg sync.WaitGroup
	for _, d := range dirs {
		rx := udpIn(b, w.NS(d.To()), w.Addr(d.To()))
		tx := udpIn(b, w.NS(d.From()), w.Addr(d.From()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			flood(tx, rx.LocalAddr(), b.N)
		}()
	}
	wg.Wait()
	for _, d := range dirs {
		b.ReportMetric(c.rate(int(d)-1), d.String()+"-pkt/s")
	}
	b.ReportMetric(0, "ns/op")
}

// flood sends n small datagrams as fast as the socket takes them; a full
// device queue (ENOBUFS) is not an error, the wire's count is the figure.
func flood(tx net.PacketConn, to net.Addr, n int) {
	buf := make([]byte, 64)
	for range n {
		tx.WriteTo(buf, to)
	}
}

func benchLatency(b *testing.B) {
	w := benchWire(b, func(wire.Event) {})
	viaWire := pingPong(b, udpIn(b, w.NS(wire.A), w.Addr(wire.A)), udpIn(b, w.NS(wire.B), w.Addr(wire.B)))
	lo := netip.MustParseAddr("127.0.0.1")
	viaLo := pingPong(b, udpIn(b, w.NS(wire.A), lo), udpIn(b, w.NS(wire.A), lo))
	p := func(d []time.Duration, q float64) float64 { return float64(d[int(q*float64(len(d)-1))]) / 2e3 }
	b.ReportMetric(p(viaWire, 0.5), "wire-p50-µs")
	b.ReportMetric(p(viaWire, 0.99), "wire-p99-µs")
	b.ReportMetric(p(viaLo, 0.5), "lo-p50-µs")
	b.ReportMetric(p(viaLo, 0.99), "lo-p99-µs")
	b.ReportMetric(p(viaWire, 0.99)-p(viaLo, 0.99), "added-p99-µs")
	b.ReportMetric(0, "ns/op")
}

// pingPong times b.N round trips of a 64-byte datagram from a to an echo
// on c and returns them sorted.
func pingPong(b *testing.B, a, c net.PacketConn) []time.Duration {
	var done atomic.Bool
	go func() {
		buf := make([]byte, 64)
		for !done.Load() {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			c.WriteTo(buf[:n], from)
		}
	}()
	defer func() { done.Store(true); c.SetReadDeadline(time.Now()) }()
	buf := make([]byte, 64)
	rtts := make([]time.Duration, 0, b.N)
	for range b.N {
		t0 := time.Now()
		a.SetReadDeadline(t0.Add(time.Second))
		if _, err := a.WriteTo(buf, c.LocalAddr()); err != nil {
			b.Fatal(err)
		}
		if _, _, err := a.ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
		rtts = append(rtts, time.Since(t0))
	}
	slices.Sort(rtts)
	return rtts
}
