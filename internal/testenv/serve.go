package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// ServeUntilEOF accepts on l until the test ends; each connection is read
// to EOF (30 s at most) and then closed, so a client that closes first ends
// in TIME-WAIT and the server's socket goes away after LAST-ACK. l and
// every connection are closed, and every goroutine has returned, when the
// test's cleanup is done.
func ServeUntilEOF(t testing.TB, l net.Listener) {
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds a test that forgot its peer
				_, _ = io.Copy(io.Discard, c)                           // to EOF or reset: either ends the peer's test
			})
		}
	})
}
