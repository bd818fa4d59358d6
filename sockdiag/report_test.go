package sockdiag_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name (or rewrites it with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestReportGolden(t *testing.T) {
	at := time.Date(2026, 11, 21, 20, 31, 5, 0, time.UTC) // fixed: output is normalised
	lst := sockdiag.Listener{Local: netip.MustParseAddrPort("127.0.0.1:9527"), Queued: 3, Backlog: 128}
	leak := append(closeWaits(0, 1, 2), sockdiag.Sample{At: at,
		Counts:    map[tcpstate.State]int{tcpstate.Listen: 1, tcpstate.Established: 4, tcpstate.CloseWait: 3, tcpstate.FinWait2: 1},
		Listeners: []sockdiag.Listener{lst}, Orphans: 1, OrphansFinWait2: 1})
	tests := []struct {
		name   string
		ports  []uint16
		series []sockdiag.Sample
	}{
		{"empty", []uint16{9527}, one(sockdiag.Sample{At: at})},
		{"leak", []uint16{9527}, leak},
		{"two-ports", []uint16{9527, 8080}, one(sockdiag.Sample{At: at,
			Counts: map[tcpstate.State]int{tcpstate.Listen: 1}, Listeners: []sockdiag.Listener{lst}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sockdiag.Report{Ports: tt.ports, Sample: tt.series[len(tt.series)-1], Alarms: sockdiag.Alarms(tt.series, nil)}
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".txt.golden", text.Bytes())
			j, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".json.golden", append(j, '\n'))
		})
	}
}
