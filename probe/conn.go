package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown"
)

// target is a validated Config plus what the preflight learnt.
type target struct {
	cfg     *Config
	raw     []byte
	maxWait time.Duration
	host    string
	path    string
	large   string
	size    int64 // bytes of the reply to path (head + body), -1 when not declared
	big     int64 // bytes of the reply to large
}

func newTarget(cfg *Config) (*target, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	t := &target{cfg: cfg, raw: cfg.Raw, maxWait: cfg.MaxWait, host: orDefault(cfg.Host, cfg.Addr)}
	if t.maxWait <= 0 {
		t.maxWait = DefaultMaxWait
	}
	t.path = orDefault(cfg.Path, "/")
	t.large = orDefault(cfg.Large, t.path)
	return t, nil
}

// Validate checks what the user gave: the target, paths, Host, the raw
// protocol's reply bounds and the -only names.
func (cfg *Config) Validate() error {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return fmt.Errorf("target %q: want HOST:PORT", cfg.Addr)
	}
	for _, p := range []string{orDefault(cfg.Path, "/"), orDefault(cfg.Large, "/")} {
		if err := validPath(p); err != nil {
			return err
		}
	}
	if strings.ContainsAny(cfg.Host, " \r\n\t\x00") {
		return fmt.Errorf("host %q: no spaces or control characters", cfg.Host)
	}
	if cfg.Raw != nil && cfg.ReplySize <= 0 && !cfg.ExpectClose {
		return errors.New("a raw protocol needs -reply-size N or -expect-close, to know where a reply ends")
	}
	return ValidNames(cfg.Only)
}

// dial opens one of a check's connections, bounded by the max wait.
func (t *target) dial(ctx context.Context, c *Check) (*net.TCPConn, error) {
	return t.dialBuf(ctx, c, 0)
}

// dialBuf dials with a receive buffer of rcvbuf bytes (0: the kernel's).
func (t *target) dialBuf(ctx context.Context, c *Check, rcvbuf int) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: t.maxWait}
	if rcvbuf > 0 {
		d.Control = rcvbufControl(rcvbuf)
	}
	d.SetMultipathTCP(false) // plain TCP, so the packets are the ones we reason about
	nc, err := d.DialContext(ctx, "tcp", t.cfg.Addr)
	l := c.logger()
	if err != nil {
		l.add("connect", errName(err), 0)
		return nil, fmt.Errorf("connect %s: %w", t.cfg.Addr, err)
	}
	conn := nc.(*net.TCPConn)
	l.add("connect", "ok", 0)
	local := conn.LocalAddr().(*net.TCPAddr).AddrPort()
	remote := conn.RemoteAddr().(*net.TCPAddr).AddrPort()
	l.addPort(local.Port(), remote)
	return conn, nil
}

// write sends b whole, bounded by the max wait, and logs the call.
func (t *target) write(conn *net.TCPConn, c *Check, b []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(t.maxWait))
	n, err := conn.Write(b)
	c.logger().add("write", resultOf(n, err), n)
	return err
}

// How a read loop ended.
const (
	endFIN   = "fin"   // read returned EOF: the server's FIN
	endRST   = "rst"   // ECONNRESET: the server's RST
	endOpen  = "open"  // the deadline passed, or the caller stopped at a whole reply
	endError = "error" // anything else
)

// readResult is what a read loop saw on one connection.
type readResult struct {
	total    int64 // every byte read
	first    int64 // bytes of the first response read (at most expected)
	expected int64 // size of the first response, -1 when undeclared
	head     *Head
	headErr  error
	chunk    *chunks // following a chunked body
	want     int64   // the preflight's size of the same resource, for a chunked reply
	end      string
	errText  string
	state    string // client socket's TCP state after the loop (TCP_INFO)

	firstByteAt, completeAt, endAt time.Duration // since the check started
}

// complete reports whether the first response arrived whole: all its
// declared bytes, or, when undeclared, every byte up to the server's FIN.
func (r *readResult) complete() bool {
	if r.chunk != nil {
		return r.chunk.done()
	}
	if r.expected >= 0 {
		return r.first >= r.expected
	}
	return r.end == endFIN && r.total > 0
}

// lost is the count of declared bytes that never arrived.
func (r *readResult) lost() int64 { return max(0, r.expected-r.first) }

// readOpts shapes a read loop.
type readOpts struct {
	chunk     int           // bytes per read (default 64 KiB)
	rcvbuf    int           // SO_RCVBUF of the connection (0: the kernel's default)
	pace      time.Duration // pause between reads: a slow reader
	deadline  time.Time     // stop waiting (default now + max wait)
	stopWhole bool          // return as soon as the first response is whole
	stopAt    int64         // return once this many bytes arrived (0: no such bound)
	want      int64         // the preflight's size of the resource asked for (0: unknown)
	onFirst   func()        // called once, after the first bytes arrive
}

// read reads conn until the server's FIN or RST, the deadline, or (with
// stopWhole) the first whole response.
func (t *target) read(ctx context.Context, conn *net.TCPConn, c *Check, o readOpts) *readResult {
	r := &readResult{expected: -1, want: -1}
	if o.want != 0 {
		r.want = o.want
	}
	if t.raw != nil && t.cfg.ReplySize > 0 {
		r.expected = int64(t.cfg.ReplySize)
	}
	if o.deadline.IsZero() {
		o.deadline = time.Now().Add(t.maxWait)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	_ = conn.SetReadDeadline(o.deadline)
	buf := make([]byte, orInt(o.chunk, 64<<10))
	var head []byte
	l := c.logger()
	for {
		n, err := conn.Read(buf)
		now := time.Since(l.start)
		if n > 0 {
			if r.total == 0 {
				r.firstByteAt = now
			}
			head = r.account(t, buf[:n], head, now)
			if r.total == int64(n) && o.onFirst != nil {
				o.onFirst()
			}
		}
		if err != nil {
			r.finish(err, now)
			l.add("read", r.resultText(), int(r.total))
			break
		}
		if o.stopWhole && r.complete() || o.stopAt > 0 && r.total >= o.stopAt {
			r.end = endOpen
			r.endAt = now
			l.add("read", "whole reply", int(r.total))
			break
		}
		if o.pace > 0 && !sleep(ctx, o.pace) {
			r.finish(ctx.Err(), now)
			break
		}
	}
	if i, err := teardown.Info(conn); err == nil {
		r.state = i.State.String()
	}
	return r
}

// account adds the bytes of one read; head collects the response head
// until it parses.
func (r *readResult) account(t *target, b []byte, head []byte, now time.Duration) []byte {
	r.total += int64(len(b))
	switch {
	case r.chunk != nil:
		r.feedChunks(b)
	case t.raw == nil && r.head == nil && r.headErr == nil:
		head = r.parseHead(append(head, b[:min(len(b), maxHead)]...))
	}
	r.first = r.total
	if r.expected >= 0 {
		r.first = min(r.total, r.expected)
	}
	if r.completeAt == 0 && r.expected >= 0 && r.first >= r.expected && (r.chunk == nil || r.chunk.done()) {
		r.completeAt = now
	}
	return head
}

// parseHead tries the bytes gathered so far; it returns what to keep.
func (r *readResult) parseHead(head []byte) []byte {
	h, err := ParseHead(head)
	switch {
	case errors.Is(err, errIncomplete):
		return head
	case err != nil:
		r.headErr = err
		return nil
	}
	r.head = &h
	r.expected = h.Size()
	if h.Chunked {
		// The size is known only once the last chunk arrives; until then
		// the preflight's size of the same resource stands in.
		r.chunk = &chunks{}
		r.expected = r.want
		r.feedChunks(head[h.Len:])
	}
	return nil
}

// feedChunks follows a chunked body; at its end the reply's size is known.
func (r *readResult) feedChunks(b []byte) {
	if r.chunk.done() || r.chunk.err != nil {
		return
	}
	used := r.chunk.feed(b)
	if r.chunk.done() {
		r.expected = r.total - int64(len(b)-used)
	}
}

// finish classifies the error that ended a read loop.
func (r *readResult) finish(err error, now time.Duration) {
	r.endAt = now
	switch {
	case errors.Is(err, io.EOF):
		r.end = endFIN
		if r.completeAt == 0 && r.expected < 0 {
			r.completeAt = now
		}
	case errors.Is(err, syscall.ECONNRESET):
		r.end = endRST
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.Canceled):
		r.end = endOpen
	default:
		r.end = endError
		r.errText = err.Error()
	}
}

func (r *readResult) resultText() string {
	switch r.end {
	case endFIN:
		return "EOF"
	case endRST:
		return "ECONNRESET"
	case endOpen:
		return "timeout"
	}
	return r.errText
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func orInt(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// resultOf is a call's result as the lab prints it: a count or an errno.
func resultOf(n int, err error) string {
	if err != nil {
		return errName(err)
	}
	return fmt.Sprint(n)
}

// errName is the errno behind err ("ECONNRESET"), or its text.
func errName(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		if s, ok := errnoNames[errno]; ok {
			return s
		}
		return errno.Error()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return err.Error()
}

var errnoNames = map[syscall.Errno]string{
	syscall.ECONNRESET:   "ECONNRESET",
	syscall.EPIPE:        "EPIPE",
	syscall.ECONNREFUSED: "ECONNREFUSED",
	syscall.ETIMEDOUT:    "ETIMEDOUT",
	syscall.EHOSTUNREACH: "EHOSTUNREACH",
	syscall.ENETUNREACH:  "ENETUNREACH",
}
