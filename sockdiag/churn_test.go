package sockdiag_test

import (
	"encoding/json"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// churn opens and closes n client connections (bounded in count and time).
func churn(t testing.TB, addr string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		c, err := dialErr(addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Write([]byte("x"))
		c.Close()
	}
}

// TestChurnMatchesSS: after 200 connections closed by the client, the
// counts per state of List — and of the JSON report `teardown watch -once
// -json` prints — are those of ss -tan for the port.
func TestChurnMatchesSS(t *testing.T) {
	const n = 200
	l := listen(t, "tcp4", "127.0.0.1:0")
	testenv.ServeUntilEOF(t, l)
	churn(t, l.Addr().String(), n)
	p := port(l)
	f := sockdiag.Filter{Ports: []uint16{p}}
	socks := waitStates(t, f, map[tcpstate.State]int{tcpstate.Listen: 1, tcpstate.TimeWait: n})

	fromSS := map[tcpstate.State]int{}
	for _, r := range ss(t, p) {
		fromSS[r.State]++
	}
	if diff := gocmp.Diff(fromSS, sockdiag.Count(socks)); diff != "" {
		t.Errorf("Count differs from ss -tan (-ss +List):\n%s", diff)
	}
	r := sockdiag.Report{Ports: []uint16{p}, Sample: sockdiag.Summarize(time.Now(), socks)}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Port   uint16         `json:"port"`
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for s, c := range fromSS {
		want[s.String()] = c
	}
	if diff := gocmp.Diff(want, got.Counts); diff != "" || got.Port != p {
		t.Errorf("JSON %s: port %d (want %d), counts (-ss +json):\n%s", b, got.Port, p, diff)
	}
}

// BenchmarkList lists one port with 1000 connected sockets (500 pairs)
// and reports the time per List in ms. List dumps the whole table of the
// namespace and filters in Go, so the figure grows with the host's own
// sockets; BenchmarkListNetNS measures the same in an empty namespace.
func BenchmarkList(b *testing.B) {
	l := listen(b, "tcp4", "127.0.0.1:0")
	for i := 0; i < 500; i++ {
		pair(b, l)
	}
	b.Run("port with 1000 sockets", func(b *testing.B) {
		benchList(b, sockdiag.Filter{Ports: []uint16{port(l)}}, 1001)
	})
	// The cost of the other sockets of the table, which the kernel's
	// bytecode filter drops before filling them in.
	idle := listen(b, "tcp4", "127.0.0.1:0")
	b.Run("idle port beside them", func(b *testing.B) {
		benchList(b, sockdiag.Filter{Ports: []uint16{port(idle)}}, 1)
	})
}

func benchList(b *testing.B, f sockdiag.Filter, rows int) {
	b.ResetTimer()
	for b.Loop() {
		socks, err := sockdiag.List(f)
		if err != nil {
			b.Fatal(err)
		}
		if len(socks) != rows {
			b.Fatalf("%d rows, want %d", len(socks), rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
}
