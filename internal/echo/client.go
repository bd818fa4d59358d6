package echo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown"
)

// ClientConfig configures a Client. A nil *ClientConfig means the defaults.
type ClientConfig struct {
	Addr      string        // server address; "" means DefaultAddr
	CloseWait time.Duration // after `close`, wait this long before Run returns (the seed sleeps 6 s)
	In        io.Reader     // lines of text and commands; nil means no input
	Out       io.Writer     // receives the printed lines; nil discards them
	AtEOF     AtEOF         // what to do when In ends without a close command
	Note      func(string)  // told what the client waits for (the CLI prints it on stderr); nil: nobody
}

// AtEOF is what the client does when its input ends before a command
// ended the connection.
type AtEOF int

const (
	// EOFWait sends nothing more (no FIN either) and prints what the
	// server sends until the server closes: the seed's client, whose
	// select keeps finding its finished stdin readable and fgets keeps
	// returning NULL, does exactly this.
	EOFWait AtEOF = iota
	// EOFShutdown runs `shutdown` (SHUT_WR): the server reads EOF, replies
	// to what it still has, and closes; the client prints it all (experiment B).
	EOFShutdown
	// EOFClose runs `close` (experiment A).
	EOFClose
)

var eofNames = [...]string{"wait", "shutdown", "close"}

func (a AtEOF) String() string {
	if a >= 0 && int(a) < len(eofNames) {
		return eofNames[a]
	}
	return fmt.Sprintf("AtEOF(%d)", int(a))
}

// ParseAtEOF reads "wait", "shutdown" or "close".
func ParseAtEOF(s string) (AtEOF, error) {
	for i, n := range eofNames {
		if s == n {
			return AtEOF(i), nil
		}
	}
	return 0, fmt.Errorf("want close, shutdown or wait, got %q", s)
}

// Client is the seed's client: it sends the lines it reads from In and
// prints what the server sends, watching both at once (one goroutine each,
// where the C program uses select). See Help for the commands.
type Client struct {
	cfg  ClientConfig
	conn *net.TCPConn

	lines     <-chan string    // from In; nil once In is done or no longer read
	sock      <-chan sockEvent // from the socket; nil once the socket is done
	shutRead  bool             // we shut the reading side ourselves
	lingering bool             // a positive SO_LINGER is set: close may block
}

// sockEvent is one result of reading the socket: data, or the error
// (io.EOF for the server's FIN) that ended reading.
type sockEvent struct {
	data []byte
	err  error
}

// Dial connects to the server.
func Dial(ctx context.Context, cfg *ClientConfig) (*Client, error) {
	c := &Client{}
	if cfg != nil {
		c.cfg = *cfg
	}
	c.cfg.Addr = orDefault(c.cfg.Addr)
	if c.cfg.Out == nil {
		c.cfg.Out = io.Discard
	}
	if c.cfg.Note == nil {
		c.cfg.Note = func(string) {}
	}
	var d net.Dialer
	d.SetMultipathTCP(false) // plain TCP on the wire, as for the server
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, &addrError{op: "client: connect", addr: c.cfg.Addr, err: err,
			errno: syscall.ECONNREFUSED, hint: "is `teardown serve` running?"}
	}
	c.conn = conn.(*net.TCPConn)
	return c, nil
}

// LocalAddr is the client's end of the connection.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Close closes the connection of a client that will not Run.
func (c *Client) Close() error { return c.conn.Close() }

// Run handles input lines and socket data until the session ends, then
// closes the connection and returns; call it once. It ends on `close` (after CloseWait),
// `abort`, the server's FIN (`server terminated`), a read error (printed as
// `error read: ...`), or ctx (the CLI's Ctrl-C); all of these return nil.
//
// When In ends without a command, the client does what AtEOF says; by
// default it behaves like the seed's: it sends nothing more (no FIN either)
// and keeps printing what the server sends until the server closes, after
// saying so to Note. Run does not wait for the goroutine reading
// In: a read from a terminal cannot be interrupted, and the process exits
// anyway; a test's pipe ends it by being closed.
func (c *Client) Run(ctx context.Context) error {
	done := make(chan struct{})
	var wg sync.WaitGroup
	c.lines = readLines(c.cfg.In, done)
	sock := make(chan sockEvent)
	c.sock = sock
	wg.Go(func() { c.readSocket(sock, done) })
	defer wg.Wait() // after close(done) and the close of the socket below
	defer close(done)
	defer c.conn.Close()
	for c.lines != nil || c.sock != nil {
		if end := c.step(ctx); end {
			break
		}
	}
	return nil
}

// step waits for one thing to happen and handles it; it reports whether
// the session is over.
func (c *Client) step(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case line, ok := <-c.lines:
		if !ok {
			c.lines = nil
			return c.inputEnded(ctx)
		}
		return c.handleLine(ctx, line)
	case ev := <-c.sock:
		return c.handleSocket(ev)
	}
}

// inputEnded applies AtEOF; it reports whether the session is over.
func (c *Client) inputEnded(ctx context.Context) bool {
	switch c.cfg.AtEOF {
	case EOFClose:
		c.cfg.Note("input ended: close")
		c.closeAndWait(ctx)
		return true
	case EOFShutdown:
		c.cfg.Note("input ended: shutdown wr; waiting for the server to close")
		c.shutdown(teardown.ShutWrite)
		return false
	}
	if c.sock != nil {
		// Without a word, `printf 'help\n' | teardown client` looks hung.
		c.cfg.Note("input ended without close or shutdown: waiting for the server to close")
	}
	return false
}

// handleSocket prints what the socket delivered: data, EOF or an error.
func (c *Client) handleSocket(ev sockEvent) bool {
	switch {
	case ev.err == nil:
		// The seed prints the raw bytes and a newline; we add the newline
		// only when the data does not end with one.
		c.printf("%s", ev.data)
		if ev.data[len(ev.data)-1] != '\n' {
			c.printf("\n")
		}
		return false
	case errors.Is(ev.err, io.EOF) && c.shutRead:
		// Our own SHUT_RD, not the server's FIN: keep handling input.
		c.printf("read EOF: we shut down reading (shutdown rd)\n")
		c.sock = nil
		return false
	case errors.Is(ev.err, io.EOF):
		c.printf("server terminated\n")
	default:
		c.printf("error read: %s\n", kernelText(ev.err))
	}
	return true
}

// handleLine runs one input line; it reports whether the session is over.
func (c *Client) handleLine(ctx context.Context, line string) bool {
	cmd, err := ParseLine(line)
	if err != nil {
		c.printf("%s\n", err)
		return false
	}
	switch cmd.Op {
	case OpSend:
		c.send(cmd.Text)
	case OpShutdown:
		c.shutdown(cmd.How)
	case OpClose:
		c.closeAndWait(ctx)
		return true
	case OpAbort:
		c.report("abort", teardown.Abort(c.conn))
		return true
	case OpLinger:
		c.setLinger(cmd.Linger)
	case OpState:
		c.state()
	case OpHelp:
		c.printf("%s", Help)
	}
	return false
}

// send writes one line, without its newline, as the seed does.
func (c *Client) send(text string) {
	c.printf("now sending %s\n", text)
	n, err := c.conn.Write([]byte(text))
	if err != nil {
		c.printf("error write: %s\n", kernelText(err))
		return
	}
	c.printf("send bytes: %d\n", n)
}

// shutdown half-closes. After the write side is shut there is nothing left
// to send, so, like the seed, the client stops reading its input and only
// waits for the server's reply and FIN.
func (c *Client) shutdown(how teardown.How) {
	if how == teardown.ShutRead || how == teardown.ShutBoth {
		c.shutRead = true
	}
	if err := teardown.Shutdown(c.conn, how); err != nil {
		c.report("shutdown "+how.String(), err)
		return
	}
	if how != teardown.ShutRead {
		c.lines = nil
	}
}

// closeAndWait closes like the seed's client: close(2), then sleep. The
// orphaned socket lives on in the kernel (FIN-WAIT-2) whether or not the
// process waits; the wait keeps the client's window open for watching.
func (c *Client) closeAndWait(ctx context.Context) {
	start := time.Now()
	err := c.conn.Close()
	if c.lingering {
		// With SO_LINGER > 0, close(2) blocks until the peer acknowledged
		// our data and FIN, or the linger time ran out: show how long.
		c.printf("close returned after %s\n", time.Since(start).Round(time.Millisecond))
	}
	c.report("close", err)
	sleep(ctx, c.cfg.CloseWait)
}

func (c *Client) setLinger(d time.Duration) {
	if err := teardown.SetLinger(c.conn, d); err != nil {
		c.report("linger", err)
		return
	}
	c.lingering = d > 0
	switch {
	case d < 0:
		c.printf("linger off: close returns at once, the kernel sends the rest and FIN\n")
	case d == 0:
		c.printf("linger 0: close will send RST, not FIN\n")
	default:
		c.printf("linger %s: close will wait up to %s for the peer to acknowledge everything\n", d, d)
	}
}

func (c *Client) state() {
	info, err := teardown.Info(c.conn)
	if err != nil {
		c.report("state", err)
		return
	}
	c.printf("%s\n", info)
}

// report prints a failed command's error as one line.
func (c *Client) report(what string, err error) {
	if err != nil {
		c.printf("error %s: %s\n", what, kernelText(err))
	}
}

func (c *Client) printf(format string, a ...any) { fmt.Fprintf(c.cfg.Out, format, a...) }

// readSocket forwards what the socket delivers until it fails or ends.
func (c *Client) readSocket(out chan<- sockEvent, done <-chan struct{}) {
	buf := make([]byte, maxLine)
	for {
		n, err := c.conn.Read(buf)
		if n > 0 && !deliver(out, done, sockEvent{data: append([]byte(nil), buf[:n]...)}) {
			return
		}
		if err != nil {
			deliver(out, done, sockEvent{err: err})
			return
		}
	}
}

func deliver[T any](out chan<- T, done <-chan struct{}, v T) bool {
	select {
	case out <- v:
		return true
	case <-done:
		return false
	}
}

// readLines sends each line of in (with its newline) until in ends or done
// is closed. The channel is closed when in ends.
func readLines(in io.Reader, done <-chan struct{}) <-chan string {
	out := make(chan string)
	if in == nil {
		close(out)
		return out
	}
	go func() {
		defer close(out)
		r := bufio.NewReader(in)
		for {
			line, err := r.ReadString('\n')
			if line != "" && !deliver(out, done, line) {
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}
