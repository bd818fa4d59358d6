package probe

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/record"
)

// Check is one check's verdict and the evidence it was computed from.
// BytesExpected is -1 when the response did not declare its size.
type Check struct {
	Name          string  `json:"name"`
	Verdict       Verdict `json:"verdict"`
	Evidence      string  `json:"evidence"`
	BytesExpected int64   `json:"bytes_expected"`
	BytesReceived int64   `json:"bytes_received"`
	// RST is true when the server reset the connection: a read or write
	// failed with ECONNRESET, or the capture holds an [R] from the server.
	RST bool `json:"rst"`
	// Closer is who ended the connection first: "server", "client", or
	// "none" (still open when the check stopped waiting).
	Closer string `json:"closer,omitempty"`
	// End is how the server's side ended: "fin", "rst" or "open".
	End string `json:"end,omitempty"`
	// CloseAfterMs is the time from the last response byte to the server's
	// FIN or RST, as the client's reads saw it.
	CloseAfterMs *float64 `json:"close_after_ms,omitempty"`
	// ClientState is the client socket's TCP state (TCP_INFO) when the
	// check stopped reading: CLOSE-WAIT after a FIN, CLOSE after an RST.
	ClientState string  `json:"client_state,omitempty"`
	DurationMs  float64 `json:"duration_ms"`
	// Packets are the check's segments as tcpdump prints them (root only).
	Packets []string `json:"packets,omitempty"`

	log *callLog
	// conns are the records of the check's connections, in the order they
	// began; wire places each captured segment in them, in capture order.
	conns []*record.Conn
	wire  []wirePacket
}

// callLog is what the client's sockets did, for the evidence and the
// diagram: each call with its result, in order.
type callLog struct {
	mu     sync.Mutex
	start  time.Time
	ports  []uint16 // local ports of the check's connections
	server netip.AddrPort
	calls  []call
}

type call struct {
	t      time.Duration
	op     string
	result string
	bytes  int
}

func (c *Check) logger() *callLog {
	if c.log == nil {
		c.log = &callLog{start: time.Now()}
	}
	return c.log
}

func (l *callLog) add(op, result string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, call{time.Since(l.start), op, result, n})
}

func (l *callLog) addPort(p uint16, server netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ports = append(l.ports, p)
	l.server = server
}

// set fills the verdict and evidence in one go.
func (c *Check) set(v Verdict, format string, a ...any) {
	c.Verdict = v
	c.Evidence = fmt.Sprintf(format, a...)
}

// fromRead copies a read's byte counts and ending into the check.
func (c *Check) fromRead(r *readResult) {
	c.BytesExpected = r.expected
	c.BytesReceived = r.first
	c.End = r.end
	if r.end == endRST {
		c.RST = true
	}
	if r.state != "" {
		c.ClientState = r.state
	}
	if r.end != endOpen && r.completeAt > 0 && r.endAt >= r.completeAt {
		v := ms(r.endAt - r.completeAt)
		c.CloseAfterMs = &v
	}
}

// bytesText is "N of M bytes" (or "N bytes, size not declared").
func (r *readResult) bytesText() string {
	if r.expected < 0 {
		return fmt.Sprintf("%d bytes, size not declared", r.first)
	}
	return fmt.Sprintf("%d of %d bytes", r.first, r.expected)
}

// endText says how the read ended, in tcpdump's words.
func (r *readResult) endText() string {
	switch r.end {
	case endFIN:
		return "then the server's FIN [F.] (read returned EOF)"
	case endRST:
		return "then the server's RST [R] (read failed with ECONNRESET)"
	case endOpen:
		return "the server kept the connection open"
	}
	return "read failed: " + r.errText
}
