package capture_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// captureMixed captures one graceful TCP exchange over IPv4, one over IPv6,
// a connection carrying urgent data, and a UDP datagram to a closed port
// with its ICMP error, for both families: every line format the Formatter
// knows, from the real kernel.
func captureMixed(t *testing.T) []capture.Segment {
	t.Helper()
	l4 := listen(t, "tcp4", "127.0.0.1:0")
	l6 := listen(t, "tcp6", "[::1]:0")
	p4, p6 := uint16(l4.Addr().(*net.TCPAddr).Port), uint16(l6.Addr().(*net.TCPAddr).Port)
	pu := closedUDPPort(t, "127.0.0.1")
	c := openCapture(t, p4, p6, pu)
	exchange(t, l4, false)
	exchange(t, l6, false)
	urgent(t, l4)
	for _, addr := range []string{"127.0.0.1", "::1"} {
		u, err := net.Dial("udp", net.JoinHostPort(addr, itoa(pu)))
		if err != nil {
			t.Fatal(err)
		}
		u.Write([]byte("hello"))
		u.Close()
	}
	// The ICMP errors come last: done when both are in.
	return collect(t, c, func(segs []capture.Segment) bool {
		n := 0
		for _, s := range segs {
			if s.Proto == capture.ICMP {
				n++
			}
		}
		return n == 2
	})
}

func TestPcapRoundTrip(t *testing.T) {
	testenv.RequireRoot(t)
	segs := captureMixed(t)
	if !slices.ContainsFunc(segs, func(s capture.Segment) bool { return s.Flags.Has(capture.URG) }) {
		t.Error("the urgent byte's segment was not captured")
	}
	for _, ng := range []bool{false, true} {
		name := map[bool]string{false: "pcap", true: "pcapng"}[ng]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c."+name)
			writeFile(t, path, segs, ng)
			checkReadBack(t, path, segs, ng)
			for _, absolute := range []bool{false, true} {
				checkTcpdump(t, path, segs, absolute)
			}
		})
	}
}

func writeFile(t *testing.T, path string, segs []capture.Segment, ng bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := capture.NewWriter(f, ng)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readBack reads frames and stamps with pcapgo.
func readBack(t *testing.T, path string, ng bool) (frames [][]byte, stamps []time.Time) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	next := pcapReader(t, f, ng)
	for {
		data, stamp, err := next()
		if errors.Is(err, io.EOF) {
			return frames, stamps
		}
		if err != nil {
			t.Fatal(err)
		}
		frames, stamps = append(frames, data), append(stamps, stamp)
	}
}

func pcapReader(t *testing.T, f *os.File, ng bool) func() ([]byte, time.Time, error) {
	t.Helper()
	if ng {
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		return func() ([]byte, time.Time, error) {
			d, ci, err := r.ReadPacketData()
			return d, ci.Timestamp, err
		}
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return func() ([]byte, time.Time, error) {
		d, ci, err := r.ReadPacketData()
		return d, ci.Timestamp, err
	}
}

func checkReadBack(t *testing.T, path string, segs []capture.Segment, ng bool) {
	t.Helper()
	frames, stamps := readBack(t, path, ng)
	var wantFrames [][]byte
	var wantStamps []time.Time
	for _, s := range segs {
		wantFrames, wantStamps = append(wantFrames, s.Raw), append(wantStamps, s.Time)
	}
	if diff := cmp.Diff(wantFrames, frames); diff != "" {
		t.Errorf("frames read back (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantStamps, stamps, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("stamps read back (-want +got):\n%s", diff)
	}
}

// checkTcpdump compares the Formatter's lines with tcpdump's own reading
// of the file, line for line.
func checkTcpdump(t *testing.T, path string, segs []capture.Segment, absolute bool) {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		if testenv.InCI() {
			t.Fatal("tcpdump not installed and CI=true: .ci/run must install it (apt-get install -y tcpdump)")
		}
		t.Skip("tcpdump not installed: skipping the comparison with tcpdump -r (apt-get install -y tcpdump)")
	}
	args := []string{"-nn", "-r", path}
	if absolute {
		args = append(args, "-S")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "TZ="+os.Getenv("TZ"))
	if err := cmd.Run(); err != nil {
		t.Fatalf("tcpdump %v: %v: %s", args, err, stderr.String())
	}
	f := capture.Formatter{Absolute: absolute}
	var ours []string
	for _, s := range segs {
		ours = append(ours, f.Format(s))
	}
	theirs := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	t.Logf("%d lines, last: %s", len(ours), ours[len(ours)-1])
	if diff := cmp.Diff(theirs, ours); diff != "" {
		t.Errorf("Formatter vs tcpdump %v (-tcpdump +ours):\n%s", args, diff)
	}
}

// urgent sends one byte of urgent data (MSG_OOB): tcpdump prints [P.U] and
// "urg 1". The stdlib has no MSG_OOB write, hence the raw send.
func urgent(t *testing.T, l *net.TCPListener) {
	t.Helper()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	c, err := net.DialTCP("tcp", nil, l.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	rc.Write(func(fd uintptr) bool {
		serr = syscall.Sendto(int(fd), []byte("!"), syscall.MSG_OOB, nil)
		return true
	})
	if serr != nil {
		t.Fatal(serr)
	}
	if s := <-accepted; s != nil {
		s.Close()
	}
}
