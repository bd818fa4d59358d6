package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultAddr is where the seed's programs meet: port 9527 on loopback, the
// port of the traces in seed 003.
const DefaultAddr = "127.0.0.1:9527"

// maxLine is the size of one read, the seed's MAXLINE. A read returns what
// TCP has delivered so far, up to this size: two quick messages may arrive
// as one, because TCP carries a byte stream, not messages.
const maxLine = 4096

// ServerConfig configures a Server. A nil *ServerConfig means the defaults.
type ServerConfig struct {
	Addr       string        // address to listen on; "" means DefaultAddr
	Delay      time.Duration // "work" before each reply; zero replies at once (the seed sleeps 5 s)
	Once       bool          // stop after the first client, as the seed's server does
	Concurrent bool          // serve many clients at once instead of one after another
	Out        io.Writer     // receives the printed lines; nil discards them
	// Terminal: Out is a terminal, which echoed the user's ^C without a
	// newline; the Ctrl-C summary then starts on a line of its own, as the
	// seed's does (it prints "\nreceived %d datagrams\n").
	Terminal bool

	// BeforeClose, when set, is called with each client connection just
	// before the server closes it, from the goroutine serving it. Tests use
	// it to look at the socket's state (teardown.Info) at the end of a
	// session.
	BeforeClose func(net.Conn)
}

// Server is the seed's echo server: read a message, print
// `received N bytes: MSG`, wait Delay, write `Hi, MSG`, print
// `send bytes: N`; read EOF prints `client closed`; a failed read or write
// prints the kernel's words (`error read: connection reset by peer`).
type Server struct {
	cfg      ServerConfig
	ln       net.Listener
	mu       sync.Mutex // serialises lines written to cfg.Out
	received atomic.Int64
}

// Listen binds the server's listening socket; Serve then accepts on it.
// Splitting the two lets a caller learn the address (for port 0) first.
func Listen(ctx context.Context, cfg *ServerConfig) (*Server, error) {
	s := &Server{}
	if cfg != nil {
		s.cfg = *cfg
	}
	s.cfg.Addr = orDefault(s.cfg.Addr)
	if s.cfg.Out == nil {
		s.cfg.Out = io.Discard
	}
	var lc net.ListenConfig
	// Plain TCP on the wire: Go would otherwise use MPTCP when the kernel
	// has net.mptcp.enabled=1, and the traces would show MPTCP options.
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, &addrError{op: "serve: listen", addr: s.cfg.Addr, err: err,
			errno: syscall.EADDRINUSE, hint: "is another `teardown serve` running? Stop it or pick another -addr"}
	}
	s.ln = ln
	return s, nil
}

func orDefault(addr string) string {
	if addr == "" {
		return DefaultAddr
	}
	return addr
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Received is the number of messages (successful reads) so far.
func (s *Server) Received() int { return int(s.received.Load()) }

// Close closes the listening socket. Serve closes it itself when it returns;
// Close is for a server that was never served.
func (s *Server) Close() error { return s.ln.Close() }

// Serve accepts clients until ctx ends (the CLI's Ctrl-C), then closes every
// connection, prints `received N datagrams` (the seed's word for messages)
// and returns nil. With Once it returns nil after the first client instead.
func (s *Server) Serve(ctx context.Context) error {
	defer closeOnCancel(ctx, s.ln)()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return s.acceptFailed(ctx, &wg, err)
		}
		if s.cfg.Concurrent {
			wg.Go(func() { s.serveConn(ctx, c) })
			continue
		}
		s.serveConn(ctx, c)
		if s.cfg.Once && ctx.Err() == nil {
			return nil
		}
	}
}

// acceptFailed ends Serve: a cancelled ctx is the normal end, anything else
// is an error.
func (s *Server) acceptFailed(ctx context.Context, wg *sync.WaitGroup, err error) error {
	wg.Wait() // every session has printed its last line
	if ctx.Err() != nil {
		nl := ""
		if s.cfg.Terminal {
			nl = "\n"
		}
		s.printf("%sreceived %d datagrams\n", nl, s.received.Load())
		return nil
	}
	return fmt.Errorf("serve: accept: %w", err)
}

// serveConn runs one client's session and closes its connection.
func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	// Ctrl-C must not wait for a client: closing the socket wakes the
	// blocked read, as the seed's process exit would.
	closeNow := closeOnCancel(ctx, c)
	s.session(ctx, c)
	if s.cfg.BeforeClose != nil && ctx.Err() == nil {
		s.cfg.BeforeClose(c)
	}
	closeNow()
}

// closeOnCancel closes c when ctx ends. The function it returns closes c
// if that has not happened yet, and returns only once c is closed either
// way. A second Close of a net.Conn or net.Listener returns at once, even
// while the first is still waiting to release the descriptor (net's fd
// mutex), so without the wait Serve could return while close(2) of its
// listener had not run yet: the port still had a socket in LISTEN, and a
// restart on it failed with EADDRINUSE (measured: about 1 run in 800 of
// TestRestartWhileOldConnectionLives on a loaded machine).
func closeOnCancel(ctx context.Context, c io.Closer) (closeNow func()) {
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.Close()
		close(closed)
	})
	return func() {
		if stop() {
			c.Close()
			return
		}
		<-closed
	}
}

// session is the seed's loop: read, print, work, reply, print.
func (s *Server) session(ctx context.Context, c net.Conn) {
	buf := make([]byte, maxLine)
	for {
		n, err := c.Read(buf)
		if err != nil {
			s.readFailed(ctx, err)
			return
		}
		msg := buf[:n]
		s.received.Add(1)
		s.printf("received %d bytes: %s\n", n, msg)
		if !sleep(ctx, s.cfg.Delay) || !s.reply(ctx, c, msg) {
			return
		}
	}
}

// readFailed prints why a session ended: EOF is the client's FIN.
func (s *Server) readFailed(ctx context.Context, err error) {
	switch {
	case ctx.Err() != nil:
		// We closed the socket ourselves (Ctrl-C): nothing to report.
	case errors.Is(err, io.EOF):
		s.printf("client closed\n")
	default:
		s.printf("error read: %s\n", kernelText(err))
	}
}

// reply writes "Hi, MSG". A write only copies the bytes into the kernel's
// send buffer: it succeeds even when the client has already closed, and
// the client's answer (RST) arrives afterwards (C06). A write that fails
// returns EPIPE or ECONNRESET, never SIGPIPE (see the package doc).
func (s *Server) reply(ctx context.Context, c net.Conn, msg []byte) bool {
	n, err := c.Write(append([]byte("Hi, "), msg...))
	if err != nil {
		if ctx.Err() == nil {
			s.printf("error write: %s\n", kernelText(err))
		}
		return false
	}
	s.printf("send bytes: %d\n", n)
	return true
}

func (s *Server) printf(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.cfg.Out, format, a...)
}

// sleep waits d; it reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
