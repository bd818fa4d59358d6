package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/trace"
)

// -states: packets and state transitions in one timeline.
//
// Both carry kernel stamps on the same clock, but they reach us with
// different delays: a segment waits for its ring block to be retired (up to
// mergeBatch, 5 ms), a transition comes through trace_pipe (tens of µs) and an inferred
// TIME-WAIT only once the kernel reveals it. Items are therefore held for
// statesHold and printed in stamp order, so a FIN-WAIT-1 appears before the
// [F.] that caused it. The hold also gives a connection's packets time to
// arrive before its transitions are judged (stateBook.ours).
const (
	statesHold = 20 * time.Millisecond
	statesTick = 5 * time.Millisecond
)

// stamped is a segment or a transition waiting to be printed.
type stamped struct {
	at  time.Time
	seg *capture.Segment
	tr  *trace.Transition
}

func (s *captureSession) loopStates(ctx context.Context, o *captureOpts) error {
	rctx, cancel := context.WithCancel(ctx)
	segs := &segQueue{ready: make(chan struct{}, 1)}
	s.queue = segs
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); errc <- s.readInto(rctx, segs) }()
	defer func() { cancel(); wg.Wait() }()
	var events <-chan trace.Transition // none with -explain alone
	if s.tr != nil {
		events = s.tr.Events()
	}
	err := s.merge(ctx, o, segs, errc, events)
	return errors.Join(err, s.printUnfinished())
}

func traceError(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return &ExitError{Code: 2, Err: fmt.Errorf("capture -states: %w; state tracing needs root (tracefs)", err)}
	}
	return fmt.Errorf("capture -states: %w", err)
}

// segQueue carries segments from the packet reader to the merger without
// ever making the reader wait: the ring is small (about 128 ms of traffic)
// while the merger, which also parses states and formats lines, can fall
// behind for longer in a burst. A channel that fills would stop the reader
// and the kernel would drop packets; this queue grows instead, up to
// maxQueued segments (then it counts what it drops).
type segQueue struct {
	mu      sync.Mutex
	items   []capture.Segment
	dropped uint64
	ready   chan struct{} // one token while items is non-empty
}

// maxQueued bounds the queue's memory (a segment is a few hundred bytes).
const maxQueued = 1 << 20

func (q *segQueue) put(seg capture.Segment) {
	q.mu.Lock()
	if len(q.items) >= maxQueued {
		q.dropped++
	} else {
		q.items = append(q.items, seg)
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take returns everything queued (the caller owns the slice).
func (q *segQueue) take() []capture.Segment {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

func (q *segQueue) backlog() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// readInto feeds segments to the merger until ctx ends or Next fails.
func (s *captureSession) readInto(ctx context.Context, q *segQueue) error {
	for {
		seg, err := s.c.Next(ctx)
		if err != nil {
			return err
		}
		q.put(seg)
	}
}

// merge holds, orders and prints both streams until -c packets, Ctrl-C or
// an error.
func (s *captureSession) merge(ctx context.Context, o *captureOpts, segs *segQueue,
	errc <-chan error, events <-chan trace.Transition) error {
	tick := time.NewTicker(statesTick)
	defer tick.Stop()
	var held []stamped
	var latest time.Time // stamp of the newest segment taken from segs
	for !s.reached(o) {
		var err error
		select {
		case <-segs.ready:
			for _, seg := range segs.take() {
				s.sawPacket(&seg)
				latest = seg.Time
				held = append(held, stamped{at: seg.Time, seg: &seg})
			}
		case t, ok := <-events:
			if !ok {
				events = nil // the tracer stopped; packets go on
				continue
			}
			held = append(held, stamped{at: t.Time, tr: &t})
		case <-tick.C:
			// Transitions already delivered go in before anything is
			// released: select picks among ready cases at random, and
			// after the merger was kept off the CPU for longer than
			// statesHold (a loaded machine), the tick could otherwise
			// release packets stamped after transitions still waiting
			// in the channel.
			held, events = drainEvents(held, events)
			cut := s.cutoff(segs.backlog(), latest)
			held, err = s.release(held, cut, o)
			if s.ex != nil {
				// Capture time has reached cut: connections quiet
				// since get their verdict even if no packet follows.
				s.ex.rec.Advance(cut)
			}
		case err = <-errc:
			err = endError(ctx, err)
			for _, seg := range segs.take() {
				s.sawPacket(&seg)
				held = append(held, stamped{at: seg.Time, seg: &seg})
			}
			_, ferr := s.release(held, time.Now().Add(time.Hour), o)
			return errors.Join(err, ferr)
		}
		if err != nil {
			return err
		}
	}
	return s.lateTransitions(held, events)
}

// drainEvents moves the transitions waiting in events into held, without
// blocking: those buffered now (the channel holds 4096), so that a tracer
// that keeps sending cannot hold the merger here. It returns nil for
// events once the tracer has stopped.
func drainEvents(held []stamped, events <-chan trace.Transition) ([]stamped, <-chan trace.Transition) {
	for n := len(events); n > 0; n-- {
		t, ok := <-events
		if !ok {
			return held, nil
		}
		held = append(held, stamped{at: t.Time, tr: &t})
	}
	return held, events
}

// lateTransitions prints, after -c packets, the transitions stamped before
// the last packet that had not arrived yet: it waits statesHold for them.
func (s *captureSession) lateTransitions(held []stamped, events <-chan trace.Transition) error {
	timeout := time.After(statesHold)
	for events != nil {
		select {
		case t, ok := <-events:
			if !ok {
				events = nil
				break
			}
			held = append(held, stamped{at: t.Time, tr: &t})
		case <-timeout:
			events = nil
		}
	}
	slices.SortStableFunc(held, func(a, b stamped) int { return a.at.Compare(b.at) })
	s.lookup(held)
	for _, it := range held {
		if it.tr != nil && !it.at.After(s.at) {
			if err := s.print(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// cutoff is the stamp up to which held items are printed: statesHold ago,
// but while segments wait in the channel (the packet path is behind, as in
// a burst) no later than the newest one taken, so that a transition is not
// printed, or judged to have no packets, before its packets are in.
func (s *captureSession) cutoff(backlog int, latest time.Time) time.Time {
	c := time.Now().Add(-statesHold)
	if backlog > 0 && latest.Before(c) {
		return latest
	}
	return c
}

func (s *captureSession) reached(o *captureOpts) bool { return o.count > 0 && s.n >= uint64(o.count) }

// release prints, in stamp order, the held items older than cutoff and
// returns the rest. After -c packets nothing more is printed.
func (s *captureSession) release(held []stamped, cutoff time.Time, o *captureOpts) ([]stamped, error) {
	slices.SortStableFunc(held, func(a, b stamped) int { return a.at.Compare(b.at) })
	n := 0
	for n < len(held) && held[n].at.Before(cutoff) {
		n++
	}
	s.lookup(held[:n])
	i := 0
	for ; i < n && !s.reached(o); i++ {
		if err := s.print(held[i]); err != nil {
			return nil, err
		}
	}
	return held[i:], nil
}

// sawPacket tells the state book (with -states) that a segment came.
func (s *captureSession) sawPacket(seg *capture.Segment) {
	if s.book != nil {
		s.book.sawPacket(seg)
	}
}

// lookup settles whose sockets the transitions about to be printed are.
func (s *captureSession) lookup(items []stamped) {
	if s.book != nil {
		s.book.lookup(items)
	}
}

func (s *captureSession) print(it stamped) error {
	if it.seg != nil {
		return s.emit(*it.seg)
	}
	note, show := s.book.note(it.tr, s.tr.Lost())
	if !show || !s.printing {
		return nil
	}
	if _, err := io.WriteString(s.env.Stdout, transitionLine(it.tr)+note+"\n"); err != nil {
		return fmt.Errorf("capture: print: %w", err)
	}
	return nil
}

// printUnfinished names, once events were lost, the sockets whose last
// transition left them alive but that are gone now: their end was among
// the lost events.
func (s *captureSession) printUnfinished() error {
	if s.tr == nil || s.tr.Lost() == 0 || !s.printing { // -w -: stdout is the pcap
		return nil
	}
	lines, err := s.book.unfinished(time.Now())
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "(could not check which sockets lost their last states: %v)\n", err)
		return nil
	}
	for _, l := range lines {
		if _, err := io.WriteString(s.env.Stdout, l+"\n"); err != nil {
			return fmt.Errorf("capture: print: %w", err)
		}
	}
	return nil
}

// statesSummary adds the state path's losses to tcpdump's closing lines:
// every event the kernel dropped, every transition not shown and why.
func (s *captureSession) statesSummary() {
	if s.tr == nil {
		return
	}
	fmt.Fprintf(s.env.Stderr, "%d state events lost by the kernel (trace buffer full", s.tr.Lost())
	if s.tr.Lost() > 0 {
		fmt.Fprintf(s.env.Stderr, "; raise -states-buffer, now %d KiB per CPU", s.stateBufKB)
	}
	fmt.Fprintln(s.env.Stderr, ")")
	if s.queue != nil && s.queue.dropped > 0 {
		fmt.Fprintf(s.env.Stderr, "%d packets dropped by teardown (its queue of %d was full)\n", s.queue.dropped, maxQueued)
	}
	if n := s.book.incomplete(); n > 0 {
		fmt.Fprintf(s.env.Stderr, "%d sockets with incomplete states (marked in their lines)\n", n)
	}
	if s.book.hidden > 0 {
		fmt.Fprintf(s.env.Stderr, "%d state events not shown: their sockets are not in this network namespace "+
			"(tracepoints are global)\n", s.book.hidden)
	}
	if n := s.tr.Unparsed(); n > 0 {
		fmt.Fprintf(s.env.Stderr, "%d trace lines could not be read (kernel format changed?)\n", n)
	}
}

// transitionLine prints a transition like the packet lines around it:
// stamp, the socket (its local end, as ss shows it), what happened, the peer.
func transitionLine(t *trace.Transition) string {
	line := fmt.Sprintf("%s %s.%d ", t.Time.Local().Format("15:04:05.000000"), t.Local.Addr(), t.Local.Port())
	switch t.Kind {
	case trace.StateChange:
		line += t.From.String() + " → " + t.To.String()
	case trace.ResetSent:
		line += "sent RST"
	case trace.ResetReceived:
		line += "received RST"
	default:
		line += t.Kind.String()
	}
	if t.Remote.IsValid() && t.Remote.Port() != 0 {
		line += fmt.Sprintf(" (peer %s.%d)", t.Remote.Addr(), t.Remote.Port())
	}
	if t.Inferred {
		line += " [inferred]"
	}
	return line
}
