package teardown

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Policy is what Graceful does when a bound (idle timeout, linger time, byte
// budget, ctx) ends the wait before the peer's FIN.
type Policy int

const (
	// CloseOnTimeout closes normally. Our FIN is already out; but if the
	// peer's data sits unread in our receive queue, or arrives later, the
	// kernel answers with RST anyway (C21), and Report.Aborted says so.
	CloseOnTimeout Policy = iota
	// AbortOnTimeout closes with RST at once (SO_LINGER {1,0}): nothing
	// waits in FIN-WAIT or TIME-WAIT for a peer that misbehaves.
	AbortOnTimeout
)

// Options bound the wait of Graceful. The zero value, and a nil *Options,
// mean the defaults.
type Options struct {
	LingerTime  time.Duration // total time to wait for the peer's FIN; default 30s (nginx lingering_time)
	IdleTimeout time.Duration // max silence between reads while draining; default 5s (nginx lingering_timeout)
	MaxDrain    int64         // byte budget of discarded input; default 1 MiB; <0 = unlimited
	OnTimeout   Policy
	Sink        io.Writer // optional: receives drained bytes instead of discarding
}

// The defaults follow nginx's lingering close, which solves the same problem
// for HTTP (RFC 9112 §9.6).
const (
	DefaultLingerTime  = 30 * time.Second
	DefaultIdleTimeout = 5 * time.Second
	DefaultMaxDrain    = 1 << 20
)

// WithDefaults returns a copy of o (nil: the zero Options) with every zero
// bound set to its default; a nil Sink stays nil (discard). Graceful and
// package server resolve their options with it, so they cannot disagree.
func (o *Options) WithDefaults() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.LingerTime <= 0 {
		v.LingerTime = DefaultLingerTime
	}
	if v.IdleTimeout <= 0 {
		v.IdleTimeout = DefaultIdleTimeout
	}
	if v.MaxDrain == 0 {
		v.MaxDrain = DefaultMaxDrain
	}
	return v
}

// Graceful closes c without losing data (claim C22): it half-closes (our FIN
// goes out after every byte already written), reads and discards what the
// peer still sends until its FIN, then closes. Because our receive queue is
// empty at close, the kernel sends no RST, so the peer gets every byte we
// wrote followed by EOF (see the package doc for why a plain close cannot
// promise that).
//
// The wait is bounded by o (nil means defaults); ctx ends it early. When a
// bound or ctx ends it, o.OnTimeout picks close or abort. Graceful always
// closes c. On a connection that refuses read deadlines (a wrapper without
// deadline support) a timer closes c when a bound passes, so every bound
// holds on any net.Conn. On a *tls.Conn the drained bytes are application data, after
// decryption, and the peer's close_notify reads as EOF.
// The error is nil for OutcomePeerClosed and the bounded outcomes; it is the read
// error for OutcomePeerReset and OutcomeFailed (errors.Is(err, syscall.ECONNRESET) works),
// ctx.Err() for OutcomeCanceled, and wraps ErrNoHalfClose when c cannot half-close.
func Graceful(ctx context.Context, c net.Conn, o *Options) (Report, error) {
	start := time.Now()
	opt := o.WithDefaults()
	if err := closeWrite(c); err != nil {
		r := Report{Outcome: OutcomeFailed}
		_ = closeAndReport(c, &r, false, start) // the close-write error is the one to report
		return r, fmt.Errorf("teardown: graceful: close write: %w", err)
	}
	d := drainer{c: c, o: opt, end: start.Add(opt.LingerTime)}
	outcome, err := d.run(ctx)
	r := Report{Outcome: outcome, Drained: d.n}
	abort := outcome.boundHit() && opt.OnTimeout == AbortOnTimeout
	if tb := d.tb.Load(); tb != nil && tb.fired() {
		// The timer standing in for a deadline has closed c already.
		r.Aborted, r.Duration = tb.reset.Load(), time.Since(start)
		return r, err
	}
	if cerr := closeAndReport(c, &r, abort, start); err == nil && cerr != nil {
		r.Outcome, err = OutcomeFailed, cerr
	}
	return r, err
}

// closeAndReport records the send queue and whether the close will be an
// RST, then closes c (abortively if abort).
func closeAndReport(c net.Conn, r *Report, abort bool, start time.Time) error {
	if q, err := sendQueues(c); err == nil {
		r.Unacked, r.Unsent = q.unacked, q.unsent
	}
	// Unread input makes Linux's tcp_close send RST instead of finishing
	// the FIN handshake (RFC 2525 §2.17, C21): report it as an abort.
	r.Aborted = abort || unreadInput(c)
	var err error
	if abort {
		err = Abort(c)
	} else {
		err = c.Close()
	}
	r.Duration = time.Since(start)
	return err
}

// unreadInput reports whether bytes wait in c's receive queue.
func unreadInput(c net.Conn) bool {
	tc, err := tcpConn(c)
	if err != nil {
		return false
	}
	n, err := readable(tc)
	return err == nil && n > 0
}

// drainer reads what the peer sends after our FIN.
type drainer struct {
	c   net.Conn
	o   Options
	end time.Time // start + LingerTime
	n   int64     // bytes drained
	// tb is set once c refuses a read deadline (a wrapper without deadline
	// support): from then on a timer closes c when a bound passes.
	tb atomic.Pointer[timerBound]
}

// run drains until EOF, an error, a bound, or ctx's end.
func (d *drainer) run(ctx context.Context) (Outcome, error) {
	stop := context.AfterFunc(ctx, d.cancelRead)
	defer stop()
	defer d.stopTimer()
	buf := make([]byte, minDrainBuf)
	for {
		lingerBound := d.arm()
		// Checked after arming: if ctx ended before, AfterFunc may have
		// set its past deadline before ours replaced it.
		if ctx.Err() != nil {
			return OutcomeCanceled, ctx.Err()
		}
		n, err := d.c.Read(d.limit(buf))
		if werr := d.take(buf[:n]); werr != nil {
			return OutcomeFailed, werr
		}
		if tb := d.tb.Load(); tb != nil && tb.fired() {
			return tb.outcome(ctx)
		}
		buf = grow(buf, n)
		if d.o.MaxDrain >= 0 && d.n > d.o.MaxDrain {
			return OutcomeBudgetExceeded, nil
		}
		if err != nil {
			return d.classify(ctx, err, lingerBound)
		}
	}
}

// A lingering connection spends most of its life parked in Read, holding
// its buffer; most peers send nothing or a few bytes before their FIN. So
// the buffer starts small and doubles only while reads fill it.
const (
	minDrainBuf = 2 << 10
	maxDrainBuf = 32 << 10
)

func grow(buf []byte, n int) []byte {
	if n == len(buf) && len(buf) < maxDrainBuf {
		return make([]byte, 2*len(buf))
	}
	return buf
}

// arm sets the read deadline to the nearer of the idle and the total bound
// and reports whether the total bound is the nearer one. If c refuses the
// deadline, a timer that closes c takes its place: every bound holds on any
// net.Conn.
func (d *drainer) arm() (lingerBound bool) {
	at := time.Now().Add(d.o.IdleTimeout)
	lingerBound = d.end.Before(at)
	if lingerBound {
		at = d.end
	}
	if tb := d.tb.Load(); tb != nil {
		tb.arm(at, lingerBound)
		return lingerBound
	}
	if err := d.c.SetReadDeadline(at); err != nil {
		tb := &timerBound{c: d.c, abort: d.o.OnTimeout == AbortOnTimeout}
		d.tb.Store(tb)
		tb.arm(at, lingerBound)
	}
	return lingerBound
}

// cancelRead ends a Read in progress when ctx ends: a deadline in the past,
// or the timer's close.
func (d *drainer) cancelRead() {
	if tb := d.tb.Load(); tb != nil {
		tb.fire(OutcomeCanceled)
		return
	}
	// A conn that refuses deadlines is bounded by the timer (timerBound),
	// which closes it: that error needs no other answer.
	_ = d.c.SetReadDeadline(time.Unix(1, 0))
}

func (d *drainer) stopTimer() {
	if tb := d.tb.Load(); tb != nil {
		tb.stop()
	}
}

// timerBound bounds reads on a connection without deadlines: a timer closes
// it (with RST under AbortOnTimeout) when a bound passes, which makes a
// blocked Read return, and why keeps which bound it was.
type timerBound struct {
	c     net.Conn
	abort bool
	mu    sync.Mutex
	t     *time.Timer
	why   atomic.Int32 // the Outcome that closed c; 0 while open
	reset atomic.Bool  // the close was an RST
}

func (tb *timerBound) arm(at time.Time, lingerBound bool) {
	o := OutcomeIdleTimeout
	if lingerBound {
		o = OutcomeLingerTimeout
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.t != nil {
		tb.t.Stop()
	}
	tb.t = time.AfterFunc(time.Until(at), func() { tb.fire(o) })
}

func (tb *timerBound) stop() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.t != nil {
		tb.t.Stop()
	}
}

// fire closes c for reason o, once.
func (tb *timerBound) fire(o Outcome) {
	if !tb.why.CompareAndSwap(0, int32(o)) {
		return
	}
	if tb.abort {
		tb.reset.Store(Abort(tb.c) == nil)
		return
	}
	tb.c.Close()
}

func (tb *timerBound) fired() bool { return tb.why.Load() != 0 }

// outcome is how the wait ended once the timer closed c.
func (tb *timerBound) outcome(ctx context.Context) (Outcome, error) {
	o := Outcome(tb.why.Load())
	if o == OutcomeCanceled {
		return o, ctx.Err()
	}
	return o, nil
}

// limit shortens buf so that a read never takes more than one byte beyond
// the budget: the budget is then exceeded exactly, and a peer that sends
// exactly MaxDrain bytes and FIN still ends OutcomePeerClosed.
func (d *drainer) limit(buf []byte) []byte {
	if d.o.MaxDrain < 0 {
		return buf
	}
	if room := d.o.MaxDrain - d.n + 1; room < int64(len(buf)) {
		return buf[:room]
	}
	return buf
}

// take counts p and hands it to the sink.
func (d *drainer) take(p []byte) error {
	d.n += int64(len(p))
	if len(p) == 0 || d.o.Sink == nil {
		return nil
	}
	if _, err := d.o.Sink.Write(p); err != nil {
		return fmt.Errorf("teardown: graceful: sink: %w", err)
	}
	return nil
}

// classify turns the error that ended a read into an Outcome.
func (d *drainer) classify(ctx context.Context, err error, lingerBound bool) (Outcome, error) {
	switch {
	case errors.Is(err, io.EOF):
		return OutcomePeerClosed, nil
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return OutcomeCanceled, ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded) && lingerBound:
		return OutcomeLingerTimeout, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return OutcomeIdleTimeout, nil
	case errors.Is(err, syscall.ECONNRESET):
		return OutcomePeerReset, err
	}
	return OutcomeFailed, err
}
