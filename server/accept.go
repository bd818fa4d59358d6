package server

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// Accept backoff on EMFILE/ENFILE, as net/http does it: the connection stays
// in the kernel's accept queue (accept4 fails before taking it), so waiting
// for a descriptor to be freed loses nothing; retrying at once would spin.
const (
	backoffMin = 5 * time.Millisecond
	backoffMax = time.Second
)

// drainGrace is how long Shutdown keeps accepting after it stopped new
// handshakes (dropSYN in synfilter_linux.go): long enough for handshakes
// already under way to land in the accept queue (a loopback round trip
// takes microseconds).
const drainGrace = 20 * time.Millisecond

// Serve accepts connections on l and serves each in a new goroutine. It
// returns ErrServerClosed after Shutdown or Close, or the accept error that
// stopped it. Serve closes l.
func (s *Server) Serve(l net.Listener) error {
	if !s.addListener(l) {
		l.Close()
		return ErrServerClosed
	}
	defer s.removeListener(l)
	var a acceptor
	for {
		if !s.acquire() {
			return ErrServerClosed
		}
		c, err := l.Accept()
		if err != nil {
			s.release()
			if s.shuttingDown() {
				if drainMore(l, err) {
					continue
				}
				return ErrServerClosed
			}
			if a.retry(s, err) {
				continue
			}
			return err
		}
		a.ok(s)
		if s.clearTTL.Load() {
			// Accepted during a DrainMinTTL drain: a connection that keeps
			// the bound would drop its peer's segments, so it is refused.
			if err := clearMinTTL(c); err != nil {
				s.logf("server: accepted during a drain, IP_MINTTL could not be lifted: %v; closing it", err)
				abortConn(c)
				continue
			}
		}
		s.start(c)
	}
}

// start accounts and serves an accepted connection.
func (s *Server) start(c net.Conn) {
	s.trackActive(c) // active before accepted: Stats never shows it in neither
	s.stats.accepted.Add(1)
	s.setState(c, StateNew)
	go s.serveConn(c)
}

// acceptor holds the backoff state of one Serve loop.
type acceptor struct {
	delay  time.Duration
	logged bool // one log line per Serve: a descriptor shortage comes in waves
}

// retry reports whether err is a shortage of descriptors worth waiting out,
// and waits (or returns false at once if the server is shutting down).
func (a *acceptor) retry(s *Server, err error) bool {
	if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) {
		return false
	}
	if a.delay == 0 {
		a.delay = backoffMin
		if !a.logged {
			a.logged = true
			s.logf("server: accept: %v; retrying with backoff up to %v (logged once, counted in Stats.AcceptRetries)", err, backoffMax)
		}
	} else {
		a.delay = min(2*a.delay, backoffMax)
	}
	s.stats.acceptRetries.Add(1)
	t := time.NewTimer(a.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// ok ends a backoff episode: the next shortage starts again from backoffMin.
func (a *acceptor) ok(s *Server) {
	a.delay = 0
}

// acquire takes a MaxConns slot, waiting while all are held. It returns
// false when the server shuts down first.
func (s *Server) acquire() bool {
	if s.sem == nil {
		return true
	}
	select {
	case s.sem <- struct{}{}:
		return true // a slot is free: also while Shutdown drains the queue
	default:
	}
	select {
	case s.sem <- struct{}{}:
		return true
	case <-s.done:
		return false
	}
}

// release frees a MaxConns slot.
func (s *Server) release() {
	if s.sem != nil {
		<-s.sem
	}
}

func (s *Server) addListener(l net.Listener) bool {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown() {
		return false
	}
	s.listeners[l] = struct{}{}
	s.serving.Add(1)
	return true
}

func (s *Server) removeListener(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
	s.closeListener(l)
	s.serving.Done()
}
