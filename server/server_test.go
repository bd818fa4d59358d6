package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/server"
)

// A pipelined second request sits unread when the handler returns. The
// server's graceful close delivers the whole 256 KiB reply, then EOF; a
// handler that closes the connection itself (a plain close) makes the kernel
// send RST and the reply is cut (C21).
func TestPipelinedReplyArrives(t *testing.T) {
	const replyLen = 256 << 10
	tests := []struct {
		name         string
		handlerClose bool
		opts         *teardown.Options
		wantComplete bool
	}{
		{name: "graceful close by the server", wantComplete: true},
		// A Sink makes the server close with teardown.Graceful in a
		// goroutine: the non-Linux path.
		{name: "graceful close by the goroutine fallback", opts: &teardown.Options{Sink: io.Discard}, wantComplete: true},
		{name: "plain close by the handler", handlerClose: true, wantComplete: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := reply(16, replyLen)
			s := &server.Server{CloseOptions: tt.opts, Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
				h(ctx, c)
				if tt.handlerClose {
					c.Close()
				}
			})}
			addr := serve(t, s)
			// Two requests in one write; the client reads only after the
			// server has finished with the first.
			got, err := exchange(addr, make([]byte, 32), 100*time.Millisecond)
			complete := got == replyLen && err == nil
			if complete != tt.wantComplete {
				t.Errorf("reply: got %d of %d bytes, err %v; want complete=%v", got, replyLen, err, tt.wantComplete)
			}
		})
	}
}

// Every way a peer can end the lingering phase, and what the server makes of
// it. Bounds are short so that the test is quick; the waits are generous.
func TestHostilePeers(t *testing.T) {
	tests := []struct {
		name    string
		opts    teardown.Options
		peer    func(c *net.TCPConn)
		want    teardown.Outcome
		resets  int // -1: either (a byte may or may not be unread at the close)
		drained func(n uint64) bool
	}{
		{
			name: "closes after the reply",
			peer: func(c *net.TCPConn) { readReply(c); c.Close() },
			want: teardown.OutcomePeerClosed,
		},
		{
			name: "resets after the reply",
			peer: func(c *net.TCPConn) { readReply(c); c.SetLinger(0); c.Close() },
			want: teardown.OutcomePeerReset,
		},
		{
			name: "never closes: released at the idle timeout",
			opts: teardown.Options{IdleTimeout: 200 * time.Millisecond},
			peer: func(c *net.TCPConn) { readReply(c); waitEOF(c); c.Close() },
			want: teardown.OutcomeIdleTimeout,
		},
		{
			name: "trickles a byte every 50 ms: released at the linger time",
			opts: teardown.Options{IdleTimeout: 300 * time.Millisecond, LingerTime: 500 * time.Millisecond},
			peer: func(c *net.TCPConn) { readReply(c); trickle(c); c.Close() },
			want: teardown.OutcomeLingerTimeout, resets: -1,
		},
		{
			name: "floods after the reply: budget, then close (RST: input unread)",
			opts: teardown.Options{MaxDrain: 64 << 10},
			peer: func(c *net.TCPConn) { readReply(c); flood(c); c.Close() },
			want: teardown.OutcomeBudgetExceeded, resets: 1,
			drained: func(n uint64) bool { return n == 64<<10+1 },
		},
		{
			name: "floods after the reply: budget, then abort",
			opts: teardown.Options{MaxDrain: 64 << 10, OnTimeout: teardown.AbortOnTimeout},
			peer: func(c *net.TCPConn) { readReply(c); flood(c); c.Close() },
			want: teardown.OutcomeBudgetExceeded, resets: 1,
			drained: func(n uint64) bool { return n == 64<<10+1 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &server.Server{Handler: reply(16, 32), CloseOptions: &tt.opts}
			addr := serve(t, s)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write(make([]byte, 16))
			tt.peer(c.(*net.TCPConn))
			waitFor(t, "the close", func() bool { return closedAll(s.Stats(), 1) })
			st := s.Stats()
			want := map[teardown.Outcome]uint64{tt.want: 1}
			if diff := cmp.Diff(want, st.ClosedBy); diff != "" {
				t.Errorf("ClosedBy (-want +got):\n%s", diff)
			}
			if tt.resets >= 0 && st.ResetsSent != uint64(tt.resets) {
				t.Errorf("ResetsSent = %d, want %d", st.ResetsSent, tt.resets)
			}
			if tt.drained != nil && !tt.drained(st.BytesDrained) {
				t.Errorf("BytesDrained = %d: not what the budget allows", st.BytesDrained)
			}
		})
	}
}

func readReply(c *net.TCPConn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 32)
	for n := 0; n < len(buf); {
		m, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
	}
}

// waitEOF reads until the server's close shows (EOF already came with our
// FIN; after the server's close the next read errors or stays EOF), bounded.
func waitEOF(c *net.TCPConn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	c.Read(make([]byte, 1))
	time.Sleep(400 * time.Millisecond) // a silent peer, past the idle bound
}

// trickle sends one byte every 50 ms until the server resets the connection
// or 5 s pass.
func trickle(c *net.TCPConn) {
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if _, err := c.Write([]byte{'x'}); err != nil {
			return
		}
	}
}

// flood writes until the server's RST stops it, at most 64 MiB or 5 s.
func flood(c *net.TCPConn) {
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	for range 1024 {
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// Shutdown lets in-flight handlers finish and their replies arrive whole,
// then reports nothing aborted; with clients that never close and a ctx that
// ends first, it aborts them and says how many.
func TestShutdown(t *testing.T) {
	const clients = 20
	tests := []struct {
		name        string
		ctxTimeout  time.Duration
		clientClose bool
		wantAborted int
		wantErr     error
	}{
		{name: "drains", ctxTimeout: 10 * time.Second, clientClose: true, wantAborted: 0},
		{name: "ctx ends first", ctxTimeout: 300 * time.Millisecond, clientClose: false,
			wantAborted: clients, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, replied := make(chan struct{}, clients), make(chan struct{}, clients)
			hold := make(chan struct{}) // clients that never close wait on it
			if tt.clientClose {
				close(hold)
			}
			h := reply(16, 64<<10)
			s := &server.Server{Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
				started <- struct{}{}
				time.Sleep(100 * time.Millisecond) // in flight when Shutdown starts
				h(ctx, c)
				replied <- struct{}{}
			}), CloseOptions: &teardown.Options{IdleTimeout: time.Minute}}
			addr := serve(t, s)
			var wg sync.WaitGroup
			got := make([]int, clients)
			for i := range clients {
				wg.Go(func() { got[i] = client(addr, hold) })
			}
			for range clients {
				<-started
			}
			if !tt.clientClose {
				// The short ctx must end while every connection lingers for
				// its peer's FIN, not while a handler that a loaded machine
				// has not scheduled yet is still to write its reply (then
				// the abort would rightly lose it).
				for range clients {
					<-replied
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctxTimeout)
			defer cancel()
			err := s.Shutdown(ctx)
			aborted := int(s.Stats().Aborted)
			if !tt.clientClose {
				close(hold)
			}
			wg.Wait()
			if aborted != tt.wantAborted || err != tt.wantErr {
				t.Errorf("Shutdown = %v with Stats.Aborted %d; want %v and %d", err, aborted, tt.wantErr, tt.wantAborted)
			}
			for i, n := range got {
				if n != 64<<10 {
					t.Errorf("client %d: reply of %d bytes, want %d", i, n, 64<<10)
				}
			}
		})
	}
}

// client sends a request, reads the reply to EOF, waits for hold and closes.
func client(addr string, hold <-chan struct{}) int {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return -1
	}
	defer c.Close()
	c.Write(make([]byte, 16))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n := 0
	buf := make([]byte, 32<<10)
	for {
		m, err := c.Read(buf)
		n += m
		if err != nil {
			break
		}
	}
	<-hold
	return n
}

// MaxConns holds accept while that many connections are open (lingering
// ones included: they hold a descriptor), and ConnState reports each
// connection's phases in order.
func TestMaxConnsAndConnState(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var states []server.ConnState
	h := reply(16, 32)
	s := &server.Server{MaxConns: 2,
		Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) { <-release; h(ctx, c) }),
		ConnState: func(c net.Conn, st server.ConnState) {
			mu.Lock()
			states = append(states, st)
			mu.Unlock()
		}}
	addr := serve(t, s)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { exchange(addr, make([]byte, 16), 0) })
	}
	waitFor(t, "two accepts", func() bool { return s.Stats().Accepted == 2 })
	time.Sleep(200 * time.Millisecond) // the third stays in the kernel's queue
	if got := s.Stats().Accepted; got != 2 {
		t.Errorf("with MaxConns 2 and 2 open: Accepted = %d, want 2", got)
	}
	close(release)
	wg.Wait()
	waitFor(t, "all closed", func() bool { return closedAll(s.Stats(), 3) })
	mu.Lock()
	defer mu.Unlock()
	count := map[server.ConnState]int{}
	for _, st := range states {
		count[st]++
	}
	want := map[server.ConnState]int{server.StateNew: 3, server.StateActive: 3, server.StateLingering: 3, server.StateClosed: 3}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("ConnState calls (-want +got):\n%s", diff)
	}
}

// closedAll reports whether n connections were accepted and every one of
// them is closed and counted. Lingering == 0 alone is not enough: it also
// holds while a handler still runs, before its connection starts lingering.
func closedAll(st server.Stats, n uint64) bool {
	var closed uint64
	for _, v := range st.ClosedBy {
		closed += v
	}
	return st.Accepted == n && st.Active == 0 && st.Lingering == 0 && closed+st.ClosedByHandler == n
}

// When Shutdown's ctx ends while handlers still run, Stats agrees with what
// Shutdown did the moment it returns, before those handlers return: nothing
// active, every connection reset, canceled and counted in Aborted.
func TestShutdownStatsAgree(t *testing.T) {
	const clients = 5
	started := make(chan struct{}, clients)
	release := make(chan struct{})
	returned := make(chan struct{}, clients)
	s := &server.Server{Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
		started <- struct{}{}
		<-release // still running when Shutdown returns
		returned <- struct{}{}
	})}
	addr := serve(t, s)
	var conns []net.Conn
	for range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for range clients {
		<-started
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown = %v, want %v", err, context.DeadlineExceeded)
	}
	st := s.Stats()
	close(release)
	want := map[teardown.Outcome]uint64{teardown.OutcomeCanceled: clients}
	if st.Active != 0 || st.Lingering != 0 || st.Aborted != clients || st.ResetsSent != clients || !cmp.Equal(want, st.ClosedBy) {
		t.Errorf("Stats right after Shutdown: %v; want active 0, lingering 0, aborted %d, resets %d, closed canceled=%d", st, clients, clients, clients)
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client read after the abort: %v, want ECONNRESET", err)
		}
	}
	for range clients {
		<-returned
	}
	if st2 := s.Stats(); !cmp.Equal(st.ClosedBy, st2.ClosedBy) || st2.ResetsSent != st.ResetsSent || st2.Active != 0 {
		t.Errorf("Stats once the handlers returned: %v; want them unchanged: %v", st2, st)
	}
}
