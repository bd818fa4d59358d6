package probe

import (
	"context"
	"errors"
	"fmt"
)

// bigEnough is the reply size that stays in flight past the socket
// buffers of a loopback connection with a small receive buffer, so that a
// server's RST has something to destroy (the 256 KiB).
const bigEnough = 256 << 10

// preflight makes one plain exchange: it proves the server is reachable
// and answers, checks the protocol, and learns the reply sizes.
func (t *target) preflight(ctx context.Context) error {
	size, err := t.fetch(ctx, t.path)
	if err != nil {
		return err
	}
	t.size, t.big = size, size
	if t.raw == nil && t.large != t.path {
		if t.big, err = t.fetch(ctx, t.large); err != nil {
			return err
		}
	}
	return nil
}

// fetch makes one request with "Connection: close" (raw: sends -send) and
// returns the reply's size.
func (t *target) fetch(ctx context.Context, path string) (int64, error) {
	c := &Check{}
	conn, err := t.dial(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	defer conn.Close()
	req := t.raw
	if req == nil {
		req = t.request(reqOpts{path: path, close: true})
	}
	if err := t.write(conn, c, req); err != nil {
		return 0, fmt.Errorf("probe: send the first request to %s: %w", t.cfg.Addr, err)
	}
	r := t.read(ctx, conn, c, readOpts{stopWhole: true})
	return r.size(t, path)
}

// size turns the preflight's read into a size or the error that stops the probe.
func (r *readResult) size(t *target, path string) (int64, error) {
	switch {
	case r.headErr != nil:
		return 0, fmt.Errorf("probe: %s answered GET %s, but %w", t.cfg.Addr, path, r.headErr)
	case r.total == 0 && r.end == endOpen:
		return 0, fmt.Errorf("probe: %s accepted the connection but sent nothing within %s: %w", t.cfg.Addr, t.maxWait, ErrNoAnswer)
	case r.total == 0:
		return 0, fmt.Errorf("probe: %s closed the connection without answering (%s): %w", t.cfg.Addr, r.resultText(), ErrNoAnswer)
	case t.raw == nil && r.head == nil:
		return 0, fmt.Errorf("probe: %s sent %d bytes but no whole HTTP response head: %w", t.cfg.Addr, r.total, errors.Join(ErrNotHTTP, ErrNoAnswer))
	case r.expected < 0 && r.end == endFIN:
		return r.total, nil // undeclared: the body ran to the server's FIN
	case r.expected < 0:
		return -1, nil
	}
	return r.expected, nil
}

// sizeNote warns when the reply is too small for the checks that need data
// in flight.
func (t *target) sizeNote() string {
	inflight := t.selected("pipelined-close") || t.selected("late-request") || t.selected("slow-reader")
	if t.raw != nil || t.big >= bigEnough || !inflight {
		return ""
	}
	if t.big < 0 {
		return fmt.Sprintf("the reply to %s did not declare its size: name a resource of at least 256 KiB with -large PATH so that pipelined-close, late-request and slow-reader have data in flight", t.large)
	}
	return fmt.Sprintf("the reply to %s is %d bytes, less than 256 KiB: it fits in the socket buffers, so pipelined-close, late-request and slow-reader test little (name a larger resource with -large PATH)", t.large, t.big)
}
