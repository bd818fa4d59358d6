package explain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/explain"
	"github.com/tcpteardown/teardown/internal/testenv"
	rt "github.com/tcpteardown/teardown/record/recordtest"
)

// The captures in testdata were made by tcpdump from real programs on
// loopback (testdata/make-captures.sh says which); each shows one ending.
var captures = []struct {
	file   string
	ending string
	flags  []string
	closer string
}{
	{"expA.pcap", explain.ResetAfterClose, []string{explain.FlagDataLost}, "client"},
	{"expB.pcapng", explain.HalfClose, []string{explain.FlagTimeWaitClient}, "client"},
	{"http-close.pcap", explain.Clean, []string{explain.FlagTimeWaitServer}, "server"},
	{"http-pipelined.pcap", explain.Abort, []string{explain.FlagDataLost, explain.FlagResponseAtRisk}, "server"},
	{"abort.pcap", explain.Abort, nil, "client"},
	{"refused.pcap", explain.Refused, nil, "server"},
	{"any-refused.pcap", explain.Refused, nil, "server"}, // tcpdump -i any: Linux cooked v2 frames
	{"zerowin.pcap", explain.Abort, []string{explain.FlagZeroWindow}, "server"},
	{"lostack.pcap", explain.Clean, []string{explain.FlagFINRetransmitted, explain.FlagLastACKLost, explain.FlagTimeWaitClient}, "client"},
	{"timeout.pcap", explain.Timeout, []string{explain.FlagDataLost, explain.FlagResponseAtRisk}, "client"},
	{"synlost.pcap", explain.Timeout, []string{explain.FlagSYNRetransmitted}, "none"},
	{"closewait.pcap", explain.Open, nil, "client"},
	{"crossed.pcap", explain.Simultaneous, []string{explain.FlagFINRetransmitted, explain.FlagTimeWaitClient, explain.FlagTimeWaitServer}, "client"},
}

type jsonDoc struct {
	File        string `json:"file"`
	Packets     int    `json:"packets"`
	Truncated   bool   `json:"truncated"`
	Connections []struct {
		ID              int `json:"id"`
		Client, Server  string
		Ending          string            `json:"ending"`
		State           map[string]string `json:"state"`
		Flags           []string          `json:"flags"`
		Closer          string            `json:"closer"`
		DurationMs      float64           `json:"duration_ms"`
		Bytes           map[string]int64  `json:"bytes"`
		DataLost        map[string]int64  `json:"data_lost"`
		Retransmissions map[string]int    `json:"retransmissions"`
		ZeroWindows     map[string]int    `json:"zero_windows"`
		Why             string            `json:"why"`
	} `json:"connections"`
}

func explainJSON(t *testing.T, path string) jsonDoc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if _, err := explain.Run(f, &out, &explain.Config{Name: path, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var doc jsonDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.Bytes())
	}
	return doc
}

// TestRealCaptures: the diagnosis of each tcpdump capture, through the
// JSON the command prints.
func TestRealCaptures(t *testing.T) {
	for _, c := range captures {
		t.Run(c.file, func(t *testing.T) {
			doc := explainJSON(t, filepath.Join("testdata", c.file))
			if len(doc.Connections) != 1 {
				t.Fatalf("%d connections, want 1", len(doc.Connections))
			}
			got := doc.Connections[0]
			if got.Flags == nil {
				got.Flags = []string{} // "flags" is always an array
			}
			want := []string{}
			if c.flags != nil {
				want = c.flags
			}
			if got.Ending != c.ending || got.Closer != c.closer || !cmp.Equal(want, got.Flags) {
				t.Errorf("ending %s closer %s flags %v; want %s %s %v", got.Ending, got.Closer, got.Flags, c.ending, c.closer, want)
			}
			if !strings.Contains(got.Why, ".") || got.Client == "" || got.Server == "" {
				t.Errorf("incomplete connection: %+v", got)
			}
		})
	}
}

// TestRealCaptureDetails checks the figures of the two seed experiments:
// "aaa" (3 bytes) one way, "Hi, aaa" (7 bytes) the other; in A the reply
// meets the RST and is lost.
func TestRealCaptureDetails(t *testing.T) {
	a := explainJSON(t, "testdata/expA.pcap").Connections[0]
	if a.Bytes["client"] != 3 || a.Bytes["server"] != 7 || a.DataLost["server"] != 7 {
		t.Errorf("experiment A: bytes %v lost %v, want 3/7 and 7 lost by the server", a.Bytes, a.DataLost)
	}
	b := explainJSON(t, "testdata/expB.pcapng").Connections[0]
	if b.Bytes["client"] != 3 || b.Bytes["server"] != 7 || b.DataLost != nil {
		t.Errorf("experiment B: bytes %v lost %v, want 3/7 and nothing lost", b.Bytes, b.DataLost)
	}
}

// TestTsharkCounts cross-checks the retransmission and zero-window counts
// with Wireshark's own analysis, on every tcpdump capture and on a file of
// all the synthetic connections of TestEndings.
func TestTsharkCounts(t *testing.T) {
	_, err := exec.LookPath("tshark")
	testenv.Require(t, err == nil, "tshark is not installed (apt-get install tshark)")
	files, _ := filepath.Glob("testdata/*.pcap*")
	files = append(files, syntheticFile(t))
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			doc := explainJSON(t, path)
			var got [2]int
			for _, c := range doc.Connections {
				got[0] += c.Retransmissions["client"] + c.Retransmissions["server"]
				got[1] += c.ZeroWindows["client"] + c.ZeroWindows["server"]
			}
			t.Logf("retransmissions, zero windows: %v", got)
			if want := tshark(t, path); got != want {
				t.Errorf("retransmissions, zero windows = %v; tshark counts %v", got, want)
			}
		})
	}
}

// syntheticFile writes every connection of endingCases, each with its own
// client port and an hour apart, to one pcap file.
func syntheticFile(t *testing.T) string {
	var segs []capture.Segment
	for i, c := range endingCases() {
		for _, s := range c.conv.Segs {
			s.Time = s.Time.Add(time.Duration(i) * time.Hour)
			if s.Src == c.conv.Addr[0] {
				s.Src = netip.AddrPortFrom(s.Src.Addr(), uint16(41000+i))
			} else {
				s.Dst = netip.AddrPortFrom(s.Dst.Addr(), uint16(41000+i))
			}
			segs = append(segs, s)
		}
	}
	path := filepath.Join(t.TempDir(), "synthetic.pcap")
	if err := os.WriteFile(path, rt.Pcap(segs, false), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tshark counts the packets Wireshark marks as retransmissions and as zero
// windows.
func tshark(t *testing.T, path string) [2]int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tshark", "-n", "-r", path, "-T", "fields",
		"-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.zero_window").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	var n [2]int
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		for i := 0; i < 2 && i < len(f); i++ {
			if f[i] != "" {
				n[i]++
			}
		}
	}
	return n
}

// TestTruncated: a file cut inside a packet is explained up to there and
// says so.
func TestTruncated(t *testing.T) {
	file, err := os.ReadFile("testdata/expA.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := explain.Run(bytes.NewReader(file[:len(file)-20]), &out, &explain.Config{Name: "cut.pcap"})
	if err != nil || !sum.Truncated || sum.File.Packets != 8 {
		t.Fatalf("err %v truncated %v packets %d; want nil, true, 8", err, sum.Truncated, sum.File.Packets)
	}
	if !strings.Contains(out.String(), "truncated") {
		t.Errorf("the output does not say the file was truncated:\n%s", out.String())
	}
}

// TestPortFilter: -port keeps only the connections on that port.
func TestPortFilter(t *testing.T) {
	for port, want := range map[uint16]int{9527: 1, 9529: 0} {
		f, err := os.Open("testdata/expA.pcap")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := explain.Run(f, &bytes.Buffer{}, &explain.Config{Name: "expA.pcap", Port: port})
		f.Close()
		if err != nil || sum.Conns != want {
			t.Errorf("-port %d on experiment A: err %v, %d connections; want %d", port, err, sum.Conns, want)
		}
	}
}

// TestListBounded: a capture of many failed connections (a port scan)
// lists at most MaxLines of them and counts the rest.
func TestListBounded(t *testing.T) {
	var segs []capture.Segment
	for i := range explain.MaxLines + 5 {
		c := rt.New(fmt.Sprintf("10.0.%d.%d:40000", i/250, 1+i%250), "10.0.255.1:22").Send(0, capture.SYN, "").Send(1, capture.RST|capture.ACK, "")
		segs = append(segs, c.Segs...)
	}
	var out bytes.Buffer
	sum, err := explain.Run(bytes.NewReader(rt.Pcap(segs, false)), &out, &explain.Config{Name: "scan.pcap"})
	if err != nil || len(sum.Lines) != explain.MaxLines || sum.Unlisted != 5 || sum.Endings[explain.Refused] != explain.MaxLines+5 {
		t.Fatalf("err %v, %d lines, %d unlisted, %v", err, len(sum.Lines), sum.Unlisted, sum.Endings)
	}
	if !strings.Contains(out.String(), "(5 more not listed") {
		t.Errorf("the output does not say 5 were not listed:\n%s", out.String()[len(out.String())-300:])
	}
}
