package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// TestWireMarks: each of the wire's marks shows on its arrow, and the
// arrow keeps the width of an unmarked one.
func TestWireMarks(t *testing.T) {
	pk := func(ms int, from, to, flags, mark string) lab.Event {
		return lab.Event{T: time.Duration(ms) * time.Millisecond, Kind: lab.KindPacket,
			Packet: &lab.Packet{From: from, To: to, Proto: "tcp", Flags: flags, Seq: 1, Ack: 2, Wire: mark}}
	}
	r := lab.Result{Name: "marks", Actors: []string{"client", "server"}, Events: []lab.Event{
		pk(1, "server", "client", "F.", ""),
		pk(2, "client", "server", ".", lab.WireDropped),
		pk(3, "server", "client", "F.", lab.WireDelayed),
		pk(4, "client", "server", "R", lab.WireInjected),
		pk(5, "server", "client", "P.", lab.WireDuplicated),
		pk(6, "server", "client", ".", lab.WireDropped),
	}}
	var b strings.Builder
	if err := render.Diagram(&b, r, &render.Options{Width: 72}); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rows[f[0]] = l
		}
	}
	for _, tc := range []struct{ row, want string }{
		{"2.000", "[.] ack 2 ───────"},
		{"3.000", "◀───── ⧗ [F.] seq 1 ack 2"},
		{"4.000", "+──── [R] seq 1"},
		{"5.000", "⧉ [P.] ack 2"},
		{"6.000", "✕─"},
	} {
		if !strings.Contains(rows[tc.row], tc.want) {
			t.Errorf("row %s = %q, want it to contain %q", tc.row, rows[tc.row], tc.want)
		}
	}
	if !strings.HasSuffix(rows["2.000"], "─✕") || !strings.HasSuffix(rows["4.000"], "─▶") {
		t.Errorf("the dropped segment's arrow must end in ✕, the injected one's in a head:\n%s\n%s", rows["2.000"], rows["4.000"])
	}
	plain, dropped := rows["1.000"], rows["2.000"]
	if render.Width(plain) != render.Width(dropped) {
		t.Errorf("a marked arrow changed width:\n%s\n%s", plain, dropped)
	}
}
