package wire

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/netns"
)

// Config describes a wire. The zero Config (or nil) is an IPv4 wire with
// no delay and no loss.
type Config struct {
	IPv6   bool
	Link   Link
	Actors map[string]Host // actor name → the host it runs on; "a" and "b" always name the hosts
	// OnEvent, when set, receives every event instead of the wire keeping
	// them for Events. It runs on the forwarding path with the wire's lock
	// held: it must not block and must not call the Wire (hand the event to
	// a channel or a slice of your own).
	OnEvent func(Event)
}

// Wire is two hosts joined by this process. Create it with New, run
// sockets in NS(A) and NS(B), arm steps with Apply while they run, and
// Close it.
type Wire struct {
	cfg   Config
	ns    [2]*netns.NS
	tun   [2]*os.File
	addr  [2]netip.Addr
	lanes [2]*lane // per Dir index
	rng   [2]*rand.Rand
	delay bool // the link delays every packet (rtt or rate)

	mu     sync.Mutex
	eng    engine
	conns  conns
	events []Event

	wg        sync.WaitGroup
	closeMu   sync.Mutex // guards stopCtx
	stopCtx   func() bool
	closeOnce sync.Once
	closeErr  error
}

// ethLen is the zero-MAC Ethernet header the wire puts before each packet
// in its recording, so capture.Decode, capture.Writer and every pcap reader
// take the wire's packets as they take lo's.
const ethLen = 14

// Addr returns host h's address on the wire.
func (w *Wire) Addr(h Host) netip.Addr { return w.addr[h.index()] }

// NS returns host h's network namespace: run sockets there with Do.
func (w *Wire) NS(h Host) *netns.NS { return w.ns[h.index()] }

// Addrs returns the addresses of the hosts: 198.18.0.1 and .2 (RFC 2544's
// benchmarking range, never routed), or 2001:db8::1 and ::2 (RFC 3849's
// documentation prefix).
func Addrs(ipv6 bool) (a, b netip.Addr) {
	if ipv6 {
		return netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	}
	return netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
}

// New builds the two hosts and starts forwarding. Cancelling ctx closes
// the wire as Close does.
func New(ctx context.Context, cfg *Config) (*Wire, error) {
	w := &Wire{conns: conns{}}
	if cfg != nil {
		w.cfg = *cfg
	}
	if err := w.cfg.Link.check(); err != nil {
		return nil, err
	}
	w.addr[0], w.addr[1] = Addrs(w.cfg.IPv6)
	if err := w.build(); err != nil {
		_ = w.teardown() // the build error is the one to report
		return nil, err
	}
	w.start()
	// Set under closeMu: a ctx that is already done runs Close at once,
	// concurrently with this assignment.
	stop := context.AfterFunc(ctx, func() { _ = w.Close() }) // the owner's own Close reports
	w.closeMu.Lock()
	w.stopCtx = stop
	w.closeMu.Unlock()
	return w, nil
}

func (l Link) check() error {
	if l.Loss < 0 || l.Loss > 1 || l.RTT < 0 || l.Rate < 0 {
		return fmt.Errorf("wire: bad link %q: loss is 0..100%%, rtt and rate are not negative", l.String())
	}
	return nil
}

// build creates both hosts; on error the caller tears down what exists.
func (w *Wire) build() error {
	for i := range w.ns {
		ns, err := netns.New()
		if err != nil {
			return fmt.Errorf("wire: host %s: %w", Host(i+1), err)
		}
		w.ns[i] = ns
		if w.tun[i], err = openTUN(ns, w.addr[i], w.cfg.IPv6); err != nil {
			return fmt.Errorf("wire: host %s: %w", Host(i+1), err)
		}
	}
	return nil
}

func (w *Wire) start() {
	w.delay = w.cfg.Link.RTT > 0 || w.cfg.Link.Rate > 0
	for _, d := range []Dir{AtoB, BtoA} {
		// One random stream per direction: a direction's losses depend only
		// on its own packets, whatever the other direction does.
		w.rng[d.index()] = rand.New(rand.NewPCG(w.cfg.Link.Seed, uint64(d)))
		w.lanes[d.index()] = newLane(w.tun[d.To().index()], w.recordDelivered(d))
	}
	for _, d := range []Dir{AtoB, BtoA} {
		w.wg.Add(2)
		go func() { defer w.wg.Done(); w.lanes[d.index()].run() }()
		in := w.tun[d.From().index()]
		go func() { defer w.wg.Done(); w.pump(d, in) }()
	}
}

// Close stops forwarding and removes the TUN devices and namespaces.
// Packets still held or delayed are lost, as on a cable that is pulled.
func (w *Wire) Close() error {
	w.closeOnce.Do(func() {
		w.closeMu.Lock()
		stop := w.stopCtx
		w.closeMu.Unlock()
		if stop != nil {
			stop()
		}
		w.closeErr = w.teardown()
	})
	return w.closeErr
}

func (w *Wire) teardown() error {
	var errs []error
	for i, f := range w.tun {
		if f != nil {
			errs = append(errs, f.Close())
			w.tun[i] = nil
		}
	}
	for _, l := range w.lanes {
		if l != nil {
			close(l.done)
		}
	}
	w.wg.Wait()
	for _, ns := range w.ns {
		errs = append(errs, ns.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wire: close: %w", err)
	}
	return nil
}

// Events returns a copy of the events recorded so far (none when
// Config.OnEvent is set).
func (w *Wire) Events() []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Event(nil), w.events...)
}

// record keeps or hands on one event; w.mu is held.
func (w *Wire) record(e Event) {
	if w.cfg.OnEvent != nil {
		w.cfg.OnEvent(e)
		return
	}
	w.events = append(w.events, e)
}

func (w *Wire) recordDelivered(d Dir) func(*Event) {
	return func(orig *Event) {
		e := *orig
		e.Time, e.Action = time.Now(), Delivered
		w.mu.Lock()
		w.record(e)
		w.mu.Unlock()
	}
}

// decode makes the recorded frame: a zero-MAC Ethernet header before the
// IP packet, decoded by capture's decoder.
func decode(pkt []byte, now time.Time) capture.Segment {
	frame := make([]byte, ethLen+len(pkt))
	copy(frame[ethLen:], pkt)
	frame[12], frame[13] = 0x08, 0x00
	if len(pkt) > 0 && pkt[0]>>4 == 6 {
		frame[12], frame[13] = 0x86, 0xdd
	}
	s, _ := capture.Decode(frame) // undecodable packets are still forwarded and recorded raw
	s.Raw, s.WireLen, s.Time = frame, len(frame), now
	return s
}
