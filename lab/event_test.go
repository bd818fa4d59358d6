package lab_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/tcpstate"
)

func TestEventJSONRoundTrip(t *testing.T) {
	events := []lab.Event{
		{T: 1500 * time.Microsecond, Kind: lab.KindPacket, Packet: &lab.Packet{From: "client", To: "server", Proto: "tcp", Flags: "P.", Seq: 1, Ack: 1, Len: 3, Win: 512, Info: `"aaa"`}},
		{T: 2 * time.Millisecond, Kind: lab.KindCall, Call: &lab.Call{Actor: "server", Op: "read", Args: "4096", Result: "ECONNRESET", Dur: 250 * time.Microsecond}},
		{T: 3 * time.Millisecond, Kind: lab.KindState, State: &lab.State{Actor: "client", From: tcpstate.FinWait2, To: tcpstate.TimeWait, Inferred: true}},
		{T: 4 * time.Millisecond, Kind: lab.KindSnapshot, Snapshot: &lab.Snapshot{Rows: []lab.SockRow{{Actor: "client", State: tcpstate.TimeWait, Timer: "timewait", Local: "127.0.0.1:1", Remote: "127.0.0.1:2"}}}},
		{T: 5 * time.Millisecond, Kind: lab.KindNote, Note: &lab.Note{Actor: "server", Text: "SIOCINQ 5"}},
	}
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var back []lab.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(events, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestEventJSONFlatPacket(t *testing.T) {
	// The schema promises seq 0 is present (a relative seq of 0 is meaningful).
	b, _ := json.Marshal(lab.Event{Kind: lab.KindPacket, Packet: &lab.Packet{From: "client", To: "server", Flags: "S"}})
	want := `{"t_ms":0,"kind":"packet","from":"client","to":"server","flags":"S","seq":0,"ack":0,"len":0,"win":0}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestTallyExpectations(t *testing.T) {
	xs := []lab.Expectation{{OK: true}, {OK: false}, {Skipped: true}, {OK: true}, {Skipped: true, OK: true}}
	held, counted, skipped := lab.TallyExpectations(xs)
	if held != 2 || counted != 3 || skipped != 2 {
		t.Errorf("held, counted, skipped = %d, %d, %d; want 2, 3, 2 (a skipped one is never counted, even marked OK)",
			held, counted, skipped)
	}
}
