package teardown_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcpteardown/teardown"
)

const replySize = 256 << 10

// readLate is the pipelining client: it has already sent two requests, waits
// a little (it is busy), then reads the answer to the first until EOF or an
// error.
func readLate(peer net.Conn, got chan<- result) {
	time.Sleep(20 * time.Millisecond)
	b, err := io.ReadAll(peer)
	got <- result{N: len(b), Err: err}
	peer.Close()
}

type result struct {
	N   int   // bytes read
	Err error // what ended the reading: nil for EOF
}

// serveOne reads the first request of the pipeline, leaves the second
// unread, and writes a large reply: the situation of RFC 2525 §2.17.
func serveOne(t *testing.T, local, peer *net.TCPConn) {
	t.Helper()
	if _, err := peer.Write([]byte("GET /1\nGET /2\n")); err != nil {
		t.Fatal(err)
	}
	req := make([]byte, len("GET /1\n"))
	if _, err := io.ReadFull(local, req); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second request to arrive", func() bool {
		i, err := teardown.Info(local)
		return err == nil && i.Readable == len("GET /2\n")
	})
	if _, err := local.Write(bytes.Repeat([]byte("x"), replySize)); err != nil {
		t.Fatal(err)
	}
}

// TestGracefulDeliversWhatCloseTruncates is the reason Graceful exists: the
// same exchange ends with every byte and EOF under Graceful, and with a
// truncated reply and ECONNRESET under a plain Close.
func TestGracefulDeliversWhatCloseTruncates(t *testing.T) {
	t.Run("graceful", func(t *testing.T) {
		local, peer := pair(t, 4096)
		serveOne(t, local, peer)
		got := make(chan result, 1)
		go readLate(peer, got)
		rep, err := teardown.Graceful(context.Background(), local, &teardown.Options{LingerTime: 10 * time.Second})
		if err != nil {
			t.Fatalf("Graceful: %v", err)
		}
		r := <-got
		if diff := cmp.Diff(result{N: replySize}, r, cmpopts.EquateErrors()); diff != "" {
			t.Errorf("peer's read (-want +got):\n%s", diff)
		}
		want := teardown.Report{Outcome: teardown.OutcomePeerClosed, Drained: int64(len("GET /2\n"))}
		rep.Duration = 0
		if diff := cmp.Diff(want, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
	})
	t.Run("plain close", func(t *testing.T) {
		// The RST is caused by the unread request, so one try should do;
		// a few are allowed in case the machine is slow enough for the
		// whole reply to drain before the close.
		for try := 1; try <= 5; try++ {
			if r := plainClose(t); r.N < replySize && errors.Is(r.Err, syscall.ECONNRESET) {
				t.Logf("try %d: peer got %d of %d bytes, then %v", try, r.N, replySize, r.Err)
				return
			}
		}
		t.Fatal("plain close with unread input never truncated the reply with ECONNRESET in 5 tries")
	})
}

func plainClose(t *testing.T) result {
	local, peer := pair(t, 4096)
	serveOne(t, local, peer)
	got := make(chan result, 1)
	go readLate(peer, got)
	local.Close()
	return <-got
}

// WithDefaults fills zero bounds with the defaults, keeps what is set, and
// treats nil as the zero Options; Graceful and package server both use it.
func TestWithDefaults(t *testing.T) {
	var nilOpts *teardown.Options
	want := teardown.Options{LingerTime: teardown.DefaultLingerTime, IdleTimeout: teardown.DefaultIdleTimeout, MaxDrain: teardown.DefaultMaxDrain}
	if got := nilOpts.WithDefaults(); got != want {
		t.Errorf("nil.WithDefaults() = %+v, want %+v", got, want)
	}
	set := teardown.Options{LingerTime: time.Second, MaxDrain: -1, OnTimeout: teardown.AbortOnTimeout}
	want = teardown.Options{LingerTime: time.Second, IdleTimeout: teardown.DefaultIdleTimeout, MaxDrain: -1, OnTimeout: teardown.AbortOnTimeout}
	if got := set.WithDefaults(); got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
}
