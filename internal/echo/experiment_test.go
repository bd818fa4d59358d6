package echo_test

import (
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/echo"
	"github.com/tcpteardown/teardown/tcpstate"
)

// TestSeedExperiments runs seed 003's two experiments through the library
// and checks what each side prints (golden files) and, as proof of what
// happened on the wire, the state of the server's socket just before it
// closes it.
func TestSeedExperiments(t *testing.T) {
	tests := []struct {
		name  string
		input string
		// state of the server's socket after its last read: in A the
		// client's RST has moved it from CLOSE-WAIT to CLOSE even though
		// the read reported EOF; in B it is the plain CLOSE-WAIT of a
		// passive closer (C29).
		wantState tcpstate.State
	}{
		{name: "experiment_a_close", input: "aaa\nclose\n", wantState: tcpstate.Close},
		{name: "experiment_b_shutdown", input: "aaa\nshutdown\n", wantState: tcpstate.CloseWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states := make(chan tcpstate.State, 1)
			srv := startServer(t, echo.ServerConfig{
				Delay: lateReply,
				Once:  true,
				BeforeClose: func(c net.Conn) {
					states <- settledState(t, c, tt.wantState)
				},
			})
			clientOut := runClient(t, srv.Addr().String(), tt.input)
			if err := srv.wait(t); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			golden(t, tt.name+".client", clientOut)
			golden(t, tt.name+".server", srv.out.String())
			if diff := cmp.Diff(tt.wantState, <-states); diff != "" {
				t.Errorf("server socket state before close (-want +got):\n%s", diff)
			}
		})
	}
}

// settledState returns c's state once it equals want, or the last state
// seen after a generous wait: an RST on loopback is normally handled before
// the write that provoked it returns, but nothing guarantees it.
func settledState(t *testing.T, c net.Conn, want tcpstate.State) tcpstate.State {
	var got tcpstate.State
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		info, err := teardown.Info(c)
		if err != nil {
			t.Errorf("Info: %v", err)
			return tcpstate.Invalid
		}
		if got = info.State; got == want {
			break
		}
	}
	return got
}
