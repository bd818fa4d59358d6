package probe

import (
	"context"
	"net"
	"strings"
	"time"
)

// closeAfterReply: one request with "Connection: close". The server should
// send the whole reply and then its FIN, so that it closes first and keeps
// the TIME-WAIT (C28, C14).
func closeAfterReply(ctx context.Context, t *target, c *Check) {
	if t.raw != nil && !t.cfg.ExpectClose {
		c.set(NA, "raw protocol without -expect-close: the server is not expected to close")
		return
	}
	conn, r, ok := t.exchange(ctx, c, t.closeRequest(t.path), readOpts{want: t.size})
	if !ok {
		return
	}
	defer conn.Close()
	c.fromRead(r)
	c.Closer = closer(r)
	closeVerdict(c, r)
}

func closeVerdict(c *Check, r *readResult) {
	switch {
	case !r.complete():
		c.set(Fail, "reply cut short: %s, %s", r.bytesText(), r.endText())
	case r.end == endFIN:
		c.set(OK, "whole reply (%s), %s %s after its last byte: the server closed first and holds the TIME-WAIT (C28)", r.bytesText(), r.endText(), msText(c.CloseAfterMs))
	case r.end == endRST:
		c.set(Risk, "whole reply (%s), %s %s later: a reset instead of a FIN destroys any byte still in flight (C17, C21)", r.bytesText(), r.endText(), msText(c.CloseAfterMs))
	default:
		c.set(Risk, "whole reply (%s), but the server did not close within the max wait despite \"Connection: close\": the client must close first and hold the TIME-WAIT", r.bytesText())
	}
}

// pipelinedClose: the reset problem of RFC 9112 §9.6. A request with
// "Connection: close" for a large reply and, in the same write, a second
// request padded to 12 KiB, more than a server's first read takes (Go's
// bufio reads 4 KiB). A server that then calls close() with those bytes
// unread makes Linux send an RST and drop its unsent queue (C21), and the
// client, reading slowly through a small receive buffer, loses the tail.
func pipelinedClose(ctx context.Context, t *target, c *Check) {
	if t.raw != nil && !t.cfg.ExpectClose {
		c.set(NA, "raw protocol without -expect-close: a pipelined request is only a risk for a server that closes after a reply")
		return
	}
	req := append(t.closeRequest(t.large), t.secondRequest(12<<10)...)
	conn, r, ok := t.exchange(ctx, c, req, slowRead(t))
	if !ok {
		return
	}
	defer conn.Close()
	c.fromRead(r)
	c.Closer = closer(r)
	inflightVerdict(c, r, "a second request pipelined behind it")
}

// lateRequest: the same reply, but the second request is sent once the
// reply has begun to arrive, after the server has read everything else.
// Only a server that lingers after every close keeps the reply whole.
func lateRequest(ctx context.Context, t *target, c *Check) {
	if t.raw != nil && !t.cfg.ExpectClose {
		c.set(NA, "raw protocol without -expect-close: a late request is only a risk for a server that closes after a reply")
		return
	}
	o := slowRead(t)
	conn, err := t.dialBuf(ctx, c, o.rcvbuf)
	if err != nil {
		c.set(Fail, "%v", err)
		return
	}
	defer conn.Close()
	if err := t.write(conn, c, t.closeRequest(t.large)); err != nil {
		c.set(Fail, "could not send the request: %v", err)
		return
	}
	o.onFirst = func() { _ = t.write(conn, c, t.secondRequest(0)) }
	r := t.read(ctx, conn, c, o)
	c.fromRead(r)
	c.Closer = closer(r)
	inflightVerdict(c, r, "a second request sent once the reply had begun")
}

// inflightVerdict judges a reply read slowly while more client data arrived
// at the server than it would read.
func inflightVerdict(c *Check, r *readResult, what string) {
	switch {
	case r.total == 0:
		c.set(Fail, "no reply to a request with %s, %s", what, r.endText())
	case !r.complete() && r.end == endRST:
		c.set(Fail, "reply truncated by the server's reset: %s, %d bytes lost; %s (RFC 9112 §9.6; C21)", r.bytesText(), r.lost(), readEnd(r))
	case !r.complete():
		c.set(Fail, "reply cut short: %s; %s", r.bytesText(), readEnd(r))
	case r.end == endRST:
		c.set(Risk, "whole reply (%s) with %s, but then the server reset: a slower client would have lost the tail (C21)", r.bytesText(), what)
	default:
		c.set(OK, "whole reply (%s) with %s; %s", r.bytesText(), what, readEnd(r))
	}
}

func readEnd(r *readResult) string {
	return r.endText() + " at " + (time.Duration(r.endAt) / time.Millisecond * time.Millisecond).String()
}

// closeRequest is the request for path that asks the server to close.
func (t *target) closeRequest(path string) []byte {
	if t.raw != nil {
		return t.raw
	}
	return t.request(reqOpts{path: path, close: true})
}

// secondRequest is the request that follows one with "Connection: close":
// padded to pad bytes in HTTP; in a raw protocol, -send repeated.
func (t *target) secondRequest(pad int) []byte {
	if t.raw != nil {
		n := max(1, pad/len(t.raw))
		return []byte(strings.Repeat(string(t.raw), n))
	}
	return t.request(reqOpts{path: t.path, pad: pad})
}

// slowRead reads through a 16 KiB receive buffer in 4 KiB steps, 2 ms apart
// (about 2 MB/s): the server's writes outrun the client, so the reply is
// still queued on the server side when it closes.
func slowRead(t *target) readOpts {
	return readOpts{chunk: 4 << 10, pace: 2 * time.Millisecond, rcvbuf: 16 << 10, want: t.big}
}

// exchange dials, sends req and reads; on a connect or send failure it
// sets the verdict and returns ok false.
func (t *target) exchange(ctx context.Context, c *Check, req []byte, o readOpts) (*net.TCPConn, *readResult, bool) {
	conn, err := t.dialBuf(ctx, c, o.rcvbuf)
	if err != nil {
		c.set(Fail, "%v", err)
		return nil, nil, false
	}
	if err := t.write(conn, c, req); err != nil {
		conn.Close()
		c.set(Fail, "could not send the request: %v", err)
		return nil, nil, false
	}
	return conn, t.read(ctx, conn, c, o), true
}

// closer says who ended the connection first, as the client saw it.
func closer(r *readResult) string {
	if r.end == endFIN || r.end == endRST {
		return "server"
	}
	return "client"
}

func msText(v *float64) string {
	if v == nil {
		return ""
	}
	if d := time.Duration(*v*1000) * time.Microsecond; d >= time.Microsecond {
		return d.Round(time.Microsecond).String()
	}
	return "<1µs"
}
