package wire_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab/wire"
)

// TestWritePcap: the pcap holds every packet once — a delayed one at the
// time it reached the wire, not again when delivered — with the wire's
// stamps, and decodes to the same segments.
func TestWritePcap(t *testing.T) {
	l := newLab(t, wire.Config{})
	c, s := l.connect(t)
	apply(t, l, "delay client>server P. 10ms")
	write(t, c, "abc")
	readN(t, s, 3)
	l.waitFor(t, "delivered", is(wire.AtoB, wire.Delivered, "P.", 3))
	evs := l.snapshot()
	var buf bytes.Buffer
	if err := wire.WritePcap(&buf, evs); err != nil {
		t.Fatal(err)
	}
	checkComments(t, buf.Bytes(), "wire: delayed (delay client>server P. 10ms)")
	r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var want []wire.Event
	for _, e := range evs {
		if e.Action != wire.Delivered {
			want = append(want, e)
		}
	}
	for i := 0; ; i++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			if i != len(want) {
				t.Errorf("pcap has %d packets, want %d (%v)", i, len(want), err)
			}
			return
		}
		if i >= len(want) {
			t.Fatalf("pcap has more than %d packets", len(want))
		}
		got, err := capture.Decode(data)
		if err != nil || got.Seq != want[i].Seg.Seq || got.Flags != want[i].Seg.Flags || !ci.Timestamp.Equal(want[i].Time) {
			t.Errorf("packet %d: [%s] seq %d at %v, %v; want [%s] seq %d at %v", i, got.Flags, got.Seq, ci.Timestamp, err,
				want[i].Seg.Flags, want[i].Seg.Seq, want[i].Time)
		}
	}
}

// checkComments reads the file with tshark (an independent reader, as
// Wireshark users will) and wants exactly one packet comment, want: the
// packets the wire forwarded as sent carry none.
func checkComments(t *testing.T, file []byte, want string) {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	testenv.Require(t, err == nil, "tshark not found (apt-get install tshark)")
	path := filepath.Join(t.TempDir(), "wire.pcapng")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.comment").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var got []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			got = append(got, line)
		}
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("packet comments %q, want exactly [%q]", got, want)
	}
}
