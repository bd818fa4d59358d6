package probe

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// slowReader: the large reply read through a 4 KiB receive buffer, 1 KiB
// at a time, paced to take well under the max wait. Does the server wait,
// give up with a FIN (a send timeout), or abort with an RST, and what did
// the client lose?
func slowReader(ctx context.Context, t *target, c *Check) {
	o := readOpts{chunk: 1 << 10, rcvbuf: 4 << 10, pace: t.slowPace(), want: t.big}
	conn, r, ok := t.exchange(ctx, c, t.closeRequest(t.large), o)
	if !ok {
		return
	}
	defer conn.Close()
	c.fromRead(r)
	c.Closer = closer(r)
	pace := fmt.Sprintf("1 KiB every %s", o.pace.Round(time.Microsecond))
	switch {
	case r.complete() && r.end == endRST:
		c.set(Risk, "whole reply (%s) at %s, then the server's RST", r.bytesText(), pace)
	case r.complete():
		c.set(OK, "the server waited for a slow reader (%s): whole reply, %s; %s", pace, r.bytesText(), readEnd(r))
	case r.end == endOpen:
		c.set(OK, "the server was still sending at the max wait (%s): %s so far, no timeout seen", pace, r.bytesText())
	case r.end == endFIN:
		c.set(Risk, "the server gave up on a slow reader (%s) with a FIN: %s, %d bytes short; the client can tell only from the declared length", pace, r.bytesText(), r.lost())
	default:
		c.set(Fail, "the server aborted a slow reader (%s): %s; %s", pace, r.bytesText(), readEnd(r))
	}
}

// slowPace spreads the large reply over about a quarter of the max wait (timer slack on a loaded machine doubles it), in 1 KiB
// reads, between 1 ms and 50 ms apart.
func (t *target) slowPace() time.Duration {
	if t.big <= 0 {
		return 5 * time.Millisecond
	}
	p := t.maxWait / 4 / time.Duration(max(1, t.big>>10))
	return min(max(p, time.Millisecond), 50*time.Millisecond)
}

// abortHandling: the client resets mid-reply (SO_LINGER {1, 0}, C17); the
// server must then still answer a fresh connection in full.
func abortHandling(ctx context.Context, t *target, c *Check) {
	req := t.raw
	if req == nil {
		req = t.request(reqOpts{path: t.large})
	}
	conn, r, ok := t.exchange(ctx, c, req, readOpts{chunk: 1 << 10, rcvbuf: 4 << 10, stopAt: 1})
	if !ok {
		return
	}
	_ = conn.SetLinger(0)
	err := conn.Close()
	c.logger().add("close", "RST (SO_LINGER 0): "+resultOf(0, err), 0)
	aborted := r.total
	conn2, r2, ok := t.exchange(ctx, c, t.closeRequest(t.path), readOpts{want: t.size})
	if !ok {
		c.Evidence = "after the client's RST: " + c.Evidence
		return
	}
	defer conn2.Close()
	c.fromRead(r2)
	c.Closer = closer(r2)
	if r2.complete() {
		c.set(OK, "after the client reset mid-reply (%d bytes read), a fresh connection got its whole reply (%s)", aborted, r2.bytesText())
		return
	}
	c.set(Fail, "after the client reset mid-reply, a fresh connection got %s, %s", r2.bytesText(), r2.endText())
}

// shutdown: two replies in flight (slow readers of the large reply) while
// -restart-cmd restarts the server; then a fresh request must be answered.
func shutdown(ctx context.Context, t *target, c *Check) {
	if t.cfg.RestartCmd == "" {
		c.set(NA, "no -restart-cmd given")
		return
	}
	const inflight = 2
	results := make(chan *readResult, inflight)
	started := make(chan struct{}, inflight)
	for range inflight {
		go func() { results <- t.inflight(ctx, c, started) }()
	}
	for range inflight {
		<-started
	}
	cmdErr := t.restart(ctx, c)
	var lost, rst int
	var got, want int64
	for range inflight {
		r := <-results
		got, want = got+r.first, want+max(r.expected, 0)
		if !r.complete() {
			lost++
		}
		if r.end == endRST {
			rst++
		}
	}
	c.BytesReceived, c.BytesExpected, c.RST = got, want, rst > 0
	fresh := t.freshAfterRestart(ctx, c)
	shutdownVerdict(c, cmdErr, lost, rst, inflight, fresh)
}

// inflight reads the large reply slowly; it signals started once the
// reply has begun, so the restart hits a reply in flight.
func (t *target) inflight(ctx context.Context, c *Check, started chan<- struct{}) *readResult {
	once := func() { started <- struct{}{} }
	o := readOpts{chunk: 4 << 10, rcvbuf: 16 << 10, pace: t.slowPace(), onFirst: once, want: t.big}
	conn, r, ok := t.exchange(ctx, c, t.closeRequest(t.large), o)
	if !ok {
		once()
		return &readResult{expected: -1, end: endError}
	}
	conn.Close()
	if r.total == 0 {
		once()
	}
	return r
}

// restart runs the user's command with "sh -c", bounded by the max wait.
func (t *target) restart(ctx context.Context, c *Check) error {
	ctx, cancel := context.WithTimeout(ctx, t.maxWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", t.cfg.RestartCmd)
	// On timeout the whole process group goes, not only sh: a child left
	// holding the output pipe would keep CombinedOutput waiting.
	ownGroup(cmd)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	c.logger().add("restart-cmd", resultOf(0, err), 0)
	if err != nil {
		return fmt.Errorf("%w: %s", err, clip(out, 200))
	}
	return nil
}

// freshAfterRestart asks again until the restarted server answers or the
// max wait passes (a refused connect means it is not listening yet).
func (t *target) freshAfterRestart(ctx context.Context, c *Check) error {
	deadline := time.Now().Add(t.maxWait)
	for {
		conn, r, ok := t.exchange(ctx, &Check{log: c.log}, t.closeRequest(t.path), readOpts{deadline: deadline, want: t.size})
		if ok {
			conn.Close()
			if r.complete() {
				return nil
			}
		}
		if time.Now().After(deadline) || !sleep(ctx, 50*time.Millisecond) {
			return errors.New("no whole reply from a fresh connection after the restart")
		}
	}
}

func shutdownVerdict(c *Check, cmdErr error, lost, rst, n int, fresh error) {
	ev := fmt.Sprintf("%d of %d replies in flight lost, %d reset", lost, n, rst)
	switch {
	case cmdErr != nil:
		c.set(Fail, "the restart command failed: %v; %s", cmdErr, ev)
	case lost > 0:
		c.set(Fail, "%s during the restart", ev)
	case fresh != nil:
		c.set(Fail, "%v; %s", fresh, ev)
	case rst > 0:
		c.set(Risk, "%s", ev)
	default:
		c.set(OK, "%s; a fresh request was answered after the restart", ev)
	}
}
