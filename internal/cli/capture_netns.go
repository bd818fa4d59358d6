package cli

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/netns"
)

// openCaptureIn opens the capture inside the namespace ns (nil: ours). A
// packet socket belongs to the namespace it was created in and keeps
// seeing that namespace's interfaces wherever it is read (capture/doc.go).
func openCaptureIn(ns *os.File, cfg *capture.Config) (*capture.Capture, error) {
	cfg.NetNS = nsFD(ns)
	return capture.Open(cfg)
}

// finTimeoutIn reads net.ipv4.tcp_fin_timeout of the namespace nsfd (0:
// ours) for the TIME-WAIT inference; 0 (the tracer reads its own) if it
// cannot.
func finTimeoutIn(nsfd int) time.Duration {
	if nsfd == 0 {
		return 0
	}
	b, err := netns.ReadFileIn(nsfd, "/proc/sys/net/ipv4/tcp_fin_timeout")
	if err != nil {
		return 0
	}
	sec, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || sec <= 0 {
		return 0
	}
	return time.Duration(sec) * time.Second
}
