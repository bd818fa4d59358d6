package wire_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab/wire"
)

// lab is a wire under test with a client actor on host a and a server
// actor on host b, and every event it records.
type lab struct {
	*wire.Wire
	mu     sync.Mutex
	events []wire.Event
	notify chan struct{}
}

var actors = map[string]wire.Host{"client": wire.A, "server": wire.B}

func newLab(t *testing.T, cfg wire.Config) *lab {
	t.Helper()
	testenv.RequireRoot(t)
	l := &lab{notify: make(chan struct{}, 1)}
	cfg.Actors = actors
	cfg.OnEvent = l.add
	w, err := wire.New(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	l.Wire = w
	return l
}

func (l *lab) add(e wire.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *lab) snapshot() []wire.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wire.Event(nil), l.events...)
}

// waitFor blocks until an event satisfies ok and returns its index. It
// wakes on every new event; the 10 s bound only turns a hang into a
// failure.
func (l *lab) waitFor(t *testing.T, what string, ok func(wire.Event) bool) int {
	t.Helper()
	return l.waitAfter(t, -1, what, ok)
}

// waitAfter is waitFor for events after index from.
func (l *lab) waitAfter(t *testing.T, from int, what string, ok func(wire.Event) bool) int {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for i, e := range l.snapshot() {
			if i > from && ok(e) {
				return i
			}
		}
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("no event %s within 10s; events:\n%s", what, dump(l.snapshot()))
		}
	}
}

func dump(evs []wire.Event) string {
	var b strings.Builder
	f := capture.Formatter{}
	for _, e := range evs {
		b.WriteString(e.Action.String() + " " + e.Rule + ": " + f.Format(e.Seg) + "\n")
	}
	return b.String()
}

// is builds an event predicate: direction, action, exact tcpdump flags
// and, when len ≥ 0, payload length.
func is(d wire.Dir, a wire.Action, flags string, n int) func(wire.Event) bool {
	return func(e wire.Event) bool {
		return e.Dir == d && e.Action == a && e.Seg.Proto == capture.TCP &&
			e.Seg.Flags.String() == flags && (n < 0 || e.Seg.Len == n)
	}
}

// connect opens a TCP connection from a client socket on host a to a
// listener on host b, both created inside their namespaces, with MPTCP off
// so the kernel speaks plain TCP.
func (l *lab) connect(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	var ln net.Listener
	lc := net.ListenConfig{}
	lc.SetMultipathTCP(false)
	err := l.NS(wire.B).Do(func() (err error) {
		ln, err = lc.Listen(context.Background(), "tcp", netip.AddrPortFrom(l.Addr(wire.B), 0).String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var c net.Conn
	d := net.Dialer{Timeout: 5 * time.Second}
	d.SetMultipathTCP(false)
	err = l.NS(wire.A).Do(func() (err error) {
		c, err = d.Dial("tcp", ln.Addr().String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// readN reads exactly n bytes within 10 s.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(buf)
}

// readEOF reads until EOF or an error within 10 s and returns both.
func readEOF(t *testing.T, c net.Conn) (string, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

func apply(t *testing.T, l *lab, step string) {
	t.Helper()
	st, err := wire.ParseStep(step)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(st); err != nil {
		t.Fatal(err)
	}
}
