package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// clientHalfClose: the request, then shutdown(SHUT_WR). A FIN only says the
// client has nothing more to send (C08, C30): the server should still
// answer in full. Some treat it as an abort, which breaks clients and
// proxies that half-close.
func clientHalfClose(ctx context.Context, t *target, c *Check) {
	req := t.raw
	if req == nil {
		req = t.request(reqOpts{path: t.path})
	}
	conn, err := t.dial(ctx, c)
	if err != nil {
		c.set(Fail, "%v", err)
		return
	}
	defer conn.Close()
	if err := t.write(conn, c, req); err != nil {
		c.set(Fail, "could not send the request: %v", err)
		return
	}
	err = conn.CloseWrite()
	c.logger().add("shutdown", resultOf(0, err), 0)
	r := t.read(ctx, conn, c, readOpts{want: t.size})
	c.fromRead(r)
	c.Closer = "client"
	switch {
	case r.total == 0:
		c.set(Fail, "no reply after the client's FIN: the server treated the half-close as an abort; %s", r.endText())
	case !r.complete():
		c.set(Fail, "reply cut short after the client's FIN: %s, %s", r.bytesText(), r.endText())
	case r.end == endRST:
		c.set(Risk, "whole reply (%s) after the client's FIN, %s", r.bytesText(), r.endText())
	case r.end == endOpen:
		c.set(Risk, "whole reply (%s), but the server kept its side open for the max wait after the client's FIN: a socket in CLOSE-WAIT on the server (C29)", r.bytesText())
	default:
		c.set(OK, "whole reply (%s) after the client's FIN, %s %s later", r.bytesText(), r.endText(), msText(c.CloseAfterMs))
	}
}

// uploadSize is the body the early-response check declares and sends.
const uploadSize = 8 << 20

// earlyResponse: a POST declaring an 8 MiB body, sent while the client
// reads. A server that answers early (404, 405, 413) and closes without
// reading the body resets a client still sending: a client that reads only
// after sending everything then loses the response (RFC 9112 §9.6).
func earlyResponse(ctx context.Context, t *target, c *Check) {
	if t.raw != nil {
		c.set(NA, "raw protocol: there is no request body to refuse")
		return
	}
	req := t.request(reqOpts{method: "POST", path: t.path, body: uploadSize})
	conn, err := t.dial(ctx, c)
	if err != nil {
		c.set(Fail, "%v", err)
		return
	}
	defer conn.Close()
	if err := t.write(conn, c, req); err != nil {
		c.set(Fail, "could not send the request head: %v", err)
		return
	}
	sent := make(chan upload, 1)
	go func() { sent <- t.sendBody(ctx, conn, c) }()
	r := t.read(ctx, conn, c, readOpts{stopWhole: true})
	if !r.complete() {
		_ = conn.SetWriteDeadline(time.Now()) // no point sending on: stop the writer
	}
	up := <-sent
	c.fromRead(r)
	c.Closer = closer(r)
	if up.rst {
		c.RST = true
	}
	earlyVerdict(c, r, up)
}

type upload struct {
	n   int64
	err error
	rst bool
}

// sendBody writes the declared body in 16 KiB writes until it is all sent,
// a write fails, or the max wait passes.
func (t *target) sendBody(ctx context.Context, conn *net.TCPConn, c *Check) upload {
	_ = conn.SetWriteDeadline(time.Now().Add(t.maxWait))
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Now()) })
	defer stop()
	chunk := make([]byte, 16<<10)
	var up upload
	for up.n < uploadSize {
		n, err := conn.Write(chunk)
		up.n += int64(n)
		if err != nil {
			up.err = err
			// EPIPE after a reset: the first failed write took the error (C05).
			up.rst = errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
			break
		}
	}
	c.logger().add("write", fmt.Sprintf("%d body bytes, %s", up.n, resultOf(0, up.err)), int(up.n))
	return up
}

func earlyVerdict(c *Check, r *readResult, up upload) {
	status := "no status"
	if r.head != nil {
		status = fmt.Sprintf("status %d", r.head.Status)
	}
	sent := fmt.Sprintf("%d of %d body bytes sent", up.n, uploadSize)
	if up.err != nil {
		sent += " (then " + errName(up.err) + ")"
	}
	switch {
	case r.total == 0 && c.RST:
		c.set(Fail, "the server reset the upload and its response never arrived: %s", sent)
	case r.total == 0:
		c.set(Fail, "no response to the upload within the max wait: %s", sent)
	case !r.complete():
		c.set(Fail, "response (%s) cut short: %s; %s", status, r.bytesText(), sent)
	case c.RST:
		c.set(Risk, "response (%s, %s) read while sending, then the server reset the upload: %s; a client that reads only after sending its body loses the response", status, r.bytesText(), sent)
	default:
		c.set(OK, "response (%s, %s) and no reset: %s", status, r.bytesText(), sent)
	}
}

// idle: one connection that sends nothing, one that makes a request and then
// stays idle (keep-alive), side by side for up to the max wait: when does
// the server close each, and with a FIN or an RST?
func idle(ctx context.Context, t *target, c *Check) {
	type res struct {
		r   *readResult
		err error
	}
	silent := make(chan res, 1)
	go func() {
		conn, err := t.dial(ctx, c)
		if err != nil {
			silent <- res{err: err}
			return
		}
		defer conn.Close()
		silent <- res{r: t.read(ctx, conn, c, readOpts{})}
	}()
	kept, err := t.keptAlive(ctx, c)
	s := <-silent
	if err == nil {
		err = s.err
	}
	if err != nil {
		c.set(Fail, "%v", err)
		return
	}
	c.fromRead(kept)
	c.RST = kept.end == endRST || s.r.end == endRST
	c.Closer = closer(kept)
	idleVerdict(c, s.r, kept)
}

// keptAlive makes one request without "Connection: close" (raw: -send) and
// keeps the connection until the server ends it or the max wait passes.
func (t *target) keptAlive(ctx context.Context, c *Check) (*readResult, error) {
	req := t.raw
	if req == nil {
		req = t.request(reqOpts{path: t.path})
	}
	conn, err := t.dial(ctx, c)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := t.write(conn, c, req); err != nil {
		return nil, fmt.Errorf("could not send the request: %w", err)
	}
	return t.read(ctx, conn, c, readOpts{want: t.size}), nil
}

func idleVerdict(c *Check, silent, kept *readResult) {
	ev := fmt.Sprintf("silent connection: %s; after a reply: %s", idleText(silent, 0), idleText(kept, kept.completeAt))
	switch {
	case !kept.complete() && kept.total > 0:
		c.set(Fail, "reply cut short (%s); %s", kept.bytesText(), ev)
	case kept.total == 0:
		c.set(Fail, "no reply within the max wait; %s", ev)
	case c.RST:
		c.set(Risk, "an idle connection was reset instead of closed with a FIN: a request sent at that moment is lost; %s", ev)
	default:
		c.set(OK, "%s", ev)
	}
}

// idleText says how an idle connection ended, timed from since (its
// connect, or its reply's last byte).
func idleText(r *readResult, since time.Duration) string {
	at := ((r.endAt - since) / time.Millisecond * time.Millisecond).String()
	switch r.end {
	case endFIN:
		return "the server's FIN after " + at
	case endRST:
		return "the server's RST after " + at
	case endOpen:
		return "still open at " + at
	}
	return "read failed: " + r.errText
}
