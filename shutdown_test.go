package teardown_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/tcpstate"
)

// TestShutdown checks what each direction does on Linux: what the local
// side can still read, and what state the peer ends up in.
func TestShutdown(t *testing.T) {
	tests := []struct {
		name      string
		how       teardown.How
		wantRead  string // what local reads of the peer's "data" afterwards
		wantEOF   bool   // whether that read then ends with EOF
		wantPeer  tcpstate.State
		wantWrite bool // whether local can still write
	}{
		// SHUT_RD tells the peer nothing, and Linux still hands over
		// queued data before reporting EOF (C07 does not hold here).
		{"rd", teardown.ShutRead, "data", true, tcpstate.Established, true},
		// SHUT_WR sends FIN: the peer goes CLOSE-WAIT and local can
		// still read (C08).
		{"wr", teardown.ShutWrite, "data", false, tcpstate.CloseWait, false},
		{"rdwr", teardown.ShutBoth, "data", true, tcpstate.CloseWait, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, peer := pair(t, 0)
			if _, err := peer.Write([]byte("data")); err != nil {
				t.Fatal(err)
			}
			eventually(t, "data to arrive", func() bool { return readable(local) == 4 })
			if err := teardown.Shutdown(local, tt.how); err != nil {
				t.Fatalf("Shutdown(%v): %v", tt.how, err)
			}
			eventually(t, "peer state "+tt.wantPeer.String(), func() bool { return stateOf(peer) == tt.wantPeer })
			got, eof := readSome(t, local)
			if diff := cmp.Diff(tt.wantRead, got); diff != "" || eof != tt.wantEOF {
				t.Errorf("read after shutdown: EOF %v, want %v; data (-want +got):\n%s", eof, tt.wantEOF, diff)
			}
			if _, err := local.Write([]byte("x")); (err == nil) != tt.wantWrite {
				t.Errorf("write after shutdown: %v, want success %v", err, tt.wantWrite)
			}
		})
	}
}

// readSome reads what is queued and reports whether EOF followed. The peer
// never sends a FIN here, so an EOF can only come from our own shutdown; 200
// ms of silence means none is coming.
func readSome(t *testing.T, c net.Conn) (string, bool) {
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
	return string(b), err == nil
}

func readable(c net.Conn) int {
	i, _ := teardown.Info(c)
	return i.Readable
}

func stateOf(c net.Conn) tcpstate.State {
	i, _ := teardown.Info(c)
	return i.State
}

// TestHalfCloseErrors: refusals are explicit.
func TestHalfCloseErrors(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	local, _ := pair(t, 0)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"CloseWrite pipe", teardown.CloseWrite(a), teardown.ErrNoHalfClose},
		{"Shutdown rd pipe", teardown.Shutdown(a, teardown.ShutRead), teardown.ErrNoHalfClose},
		{"Info pipe", second(teardown.Info(a)), teardown.ErrNotTCP},
		{"SetLinger pipe", teardown.SetLinger(a, 0), teardown.ErrNotTCP},
		{"invalid how", teardown.Shutdown(local, teardown.How(9)), errInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// errInvalid matches any non-nil error.
var errInvalid = anyError{}

type anyError struct{}

func (anyError) Error() string        { return "any error" }
func (anyError) Is(target error) bool { return target != nil }

func second[T any](_ T, err error) error { return err }
