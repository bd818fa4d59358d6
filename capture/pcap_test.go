package capture_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tcpteardown/teardown/capture"
)

// failingWriter fails like a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errFull }

var errFull = errors.New("no space left on device")

func TestWriterErrors(t *testing.T) {
	for _, ng := range []bool{false, true} {
		if _, err := capture.NewWriter(failingWriter{}, ng); !errors.Is(err, errFull) {
			t.Errorf("NewWriter(ng=%v) on a full disk: %v, want the write error at once", ng, err)
		}
	}
	w, err := capture.NewWriter(io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(capture.Segment{}); err == nil {
		t.Error("Write of a segment without a frame succeeded, want an error")
	}
}

// TestWriterSynthetic writes decoded synthetic frames and reads them back
// with pcapgo: frames, stamps (nanoseconds kept) and original lengths.
func TestWriterSynthetic(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, false)
	if err != nil {
		t.Fatal(err)
	}
	stamp := time.Unix(1700000000, 123456789)
	frames := [][]byte{tcp4Frame(1, 2), udp6Frame(3, 4)}
	for _, f := range frames {
		s, err := capture.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		s.Time = stamp
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range frames {
		got, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("packet %d (-want +got):\n%s", i, diff)
		}
		if !ci.Timestamp.Equal(stamp) || ci.Length != len(want) {
			t.Errorf("packet %d: stamp %v length %d, want %v %d", i, ci.Timestamp, ci.Length, stamp, len(want))
		}
	}
}
