package server

import (
	"context"
	"net"
	"time"

	"github.com/tcpteardown/teardown"
)

// Shutdown stops the server without losing a reply. It stops new handshakes
// and accepts the connections already in the accept queue (on Linux: closing
// a listener resets every connection still queued, so they are served
// instead), lets running handlers finish, closes every connection
// gracefully, and waits until all are closed. If ctx ends first it aborts
// (RST) what remains and returns ctx.Err(), as net/http's Shutdown does;
// Stats.Aborted counts those connections, and Stats agrees with what
// Shutdown did as soon as it returns. Serve returns ErrServerClosed.
//
// How new handshakes were stopped is in Stats.Drain; when nothing could
// stop them (DrainNone), ErrorLog says why, and the connections reset in the
// accept queue are counted in Stats.QueueResets.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.beginShutdown(true)
	if err := s.waitIdle(ctx); err != nil {
		s.abortAll()
		s.stop()
		return err
	}
	s.stop()
	return nil
}

// Close is Shutdown with a context that has already ended: it closes the
// listeners, resets every connection (handlers see their ctx end and their
// connection fail) and returns. Serve returns ErrServerClosed.
func (s *Server) Close() error {
	s.init()
	s.beginShutdown(false)
	s.abortAll()
	s.stop()
	return nil
}

// beginShutdown stops accepting. With drain, a TCP listener first stops
// answering SYNs and its queue is accepted for drainGrace; Serve then closes
// it.
func (s *Server) beginShutdown(drain bool) {
	s.mu.Lock()
	s.doneOnce.Do(func() { close(s.done) })
	ls := make([]net.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	for _, l := range ls {
		if !drain || !s.drain(l) {
			s.closeListener(l)
		}
	}
	s.serving.Wait()
}

// drain starts l's drain and reports whether it did; if not, it logs why.
func (s *Server) drain(l net.Listener) bool {
	d, err := drainListener(l, time.Now().Add(drainGrace), func() { s.clearTTL.Store(true) })
	s.stats.noteDrain(d)
	if err != nil {
		s.logf("server: shutdown: %v: %v; closing the listener at once resets the connections in its accept queue (counted in Stats.QueueResets)", l.Addr(), err)
		return false
	}
	return true
}

// waitIdle polls until no handler runs and nothing lingers, like
// net/http.Server.Shutdown: from 1 ms, doubling up to 50 ms.
func (s *Server) waitIdle(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		if s.stats.active.Load() == 0 && s.stats.lingering.Load() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			t.Reset(wait)
		}
	}
}

// abortAll ends the handlers' ctx, resets the connections they hold and every
// lingering one, and returns how many it reset.
func (s *Server) abortAll() int {
	s.cancel()
	n := s.abortActive() + s.lg.abortAll()
	s.stats.aborted.Add(uint64(n))
	return n
}

// abortActive resets the connections of running handlers and accounts them
// at once, so that Stats agrees with Shutdown's result although their
// handlers return only when their next read or write fails.
func (s *Server) abortActive() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c, rec := range s.active {
		if rec.aborted {
			continue
		}
		rec.aborted = true
		abortConn(c)
		s.stats.active.Add(-1)
		s.stats.record(teardown.Report{Outcome: teardown.OutcomeCanceled, Aborted: true})
		n++
	}
	return n
}

// abortConn closes c with RST: SO_LINGER {1, 0} then close (claim C17).
func abortConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // if it fails the close is a FIN: still an end
	}
	c.Close()
}

// stop ends the lingerer's goroutines once nothing can be handed to it: a
// connection whose handler returns later is aborted at once.
func (s *Server) stop() { s.stopOnce.Do(s.lg.stop) }
