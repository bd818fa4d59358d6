package trace

import (
	"bufio"
	"errors"
	"io"
	"time"
)

// flushEvery is how often the loop releases SYN-SENT transitions whose
// socket stayed silent (see Inferrer.Flush).
const flushEvery = 200 * time.Millisecond

// run starts the two goroutines of a tracer: read decodes trace_pipe, loop
// completes the transitions and delivers them. The caller has done
// t.wg.Add(2) for them.
func (t *Tracer) run(pipe io.Reader) {
	decoded := make(chan Transition, 1024)
	go func() {
		defer t.wg.Done()
		t.read(pipe, decoded)
	}()
	go func() {
		defer t.wg.Done()
		t.loop(decoded)
	}()
}

// read ends when the pipe is closed (Close) or fails.
func (t *Tracer) read(pipe io.Reader, out chan<- Transition) {
	defer close(out)
	br := bufio.NewReaderSize(pipe, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if tr, ok := t.decode(line); ok && !t.send(out, tr) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (t *Tracer) decode(line string) (Transition, bool) {
	tr, err := ParseLine(line, t.clock)
	var lost *LostError
	switch {
	case errors.As(err, &lost):
		t.lost.Add(lost.Events)
		return tr, false
	case errors.Is(err, ErrNotEvent):
		return tr, false
	case err != nil:
		t.bad.Add(1)
		return tr, false
	}
	return tr, t.cfg.match(tr)
}

func (t *Tracer) send(out chan<- Transition, tr Transition) bool {
	select {
	case out <- tr:
		return true
	case <-t.done:
		return false
	}
}

// loop never closes t.events: Close does, after the instance is removed,
// so that a consumer who sees the channel closed finds nothing left behind.
func (t *Tracer) loop(in <-chan Transition) {
	inf := NewInferrer()
	inf.FinTimeout = t.cfg.FinTimeout
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		var out []Transition
		select {
		case tr, ok := <-in:
			if !ok { // trace_pipe failed or was closed
				t.deliver(inf.Flush(time.Now().Add(time.Hour)))
				go func() { _ = t.Close() }() // not inline: Close waits for this goroutine; the reader's error is what is reported
				return
			}
			out = inf.Feed(tr)
		case f := <-t.fins:
			out = inf.FINReceived(f.local, f.remote, f.at)
		case now := <-tick.C:
			out = inf.Flush(now.Add(-holdSynSent))
		case <-t.done:
			return
		}
		if !t.deliver(out) {
			return
		}
	}
}

func (t *Tracer) deliver(trs []Transition) bool {
	for _, tr := range trs {
		if !t.send(t.events, tr) {
			return false
		}
	}
	return true
}

// holdSynSent is how long a SYN-SENT transition waits for the next event of
// its socket to learn its local port (a lost SYN is retransmitted after 1 s).
const holdSynSent = time.Second
