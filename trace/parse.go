package trace

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Clock converts the kernel's CLOCK_MONOTONIC stamps (the instance runs with
// trace_clock=mono) to CLOCK_REALTIME, the clock AF_PACKET stamps packets
// with, so that transitions and captured segments sort on one time line.
type Clock struct {
	Offset time.Duration // CLOCK_REALTIME − CLOCK_MONOTONIC, measured at Start
	Bound  time.Duration // how wrong Offset may be when it was measured
}

// Real returns the wall-clock time of a monotonic stamp. The zero Clock
// returns the stamp itself counted from the Unix epoch.
func (c Clock) Real(mono time.Duration) time.Time {
	return time.Unix(0, int64(mono+c.Offset))
}

// ErrNotEvent is returned by ParseLine for lines that carry no event: the
// comment header of the trace file and blank lines.
var ErrNotEvent = errors.New("trace: not an event line")

// LostError is what ParseLine returns for the line trace_pipe writes when
// the per-CPU ring buffer overflowed and the kernel dropped events.
type LostError struct {
	CPU    int
	Events uint64
}

func (e *LostError) Error() string {
	return fmt.Sprintf("trace: kernel lost %d events on CPU %d (ring buffer full)", e.Events, e.CPU)
}

// eventNames are the events a line may carry, as they appear in it.
var eventNames = []string{
	": inet_sock_set_state: ", ": tcp_receive_reset: ", ": tcp_send_reset: ", ": tcp_destroy_sock: ",
}

// kernelStates maps the kernel's state names (TCP_FIN_WAIT1) to states,
// built once: the parser runs for every event.
var kernelStates = func() map[string]tcpstate.State {
	m := map[string]tcpstate.State{}
	for _, s := range tcpstate.States() {
		m[s.KernelName()] = s
	}
	return m
}()

var lostRE = regexp.MustCompile(`^CPU:(\d+) \[LOST (\d+) EVENTS\]`)

// ParseLine decodes one line of trace_pipe (default text format) written by
// one of the four events this package enables. Times go through c.
func ParseLine(line string, c Clock) (Transition, error) {
	line = strings.TrimRight(line, "\r\n")
	if m := lostRE.FindStringSubmatch(line); m != nil {
		return Transition{}, lostError(m[1], m[2])
	}
	if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
		return Transition{}, ErrNotEvent
	}
	head, name, rest, err := split(line)
	if err != nil {
		return Transition{}, err
	}
	mono, err := parseStamp(head)
	if err != nil {
		return Transition{}, err
	}
	t, err := parseEvent(name, fields(rest))
	if err != nil {
		return Transition{}, err
	}
	t.Time = c.Real(mono)
	return t, nil
}

func lostError(cpu, n string) error {
	e := &LostError{}
	e.CPU, _ = strconv.Atoi(cpu)
	e.Events, _ = strconv.ParseUint(n, 10, 64)
	return e
}

// split cuts "<comm>-<pid> [cpu] flags  369.349691: <event>: <fields>"
// at the event's name (the command name may hold spaces and colons, so the
// name is searched for rather than counted).
func split(line string) (head, name, rest string, err error) {
	for _, ev := range eventNames {
		if i := strings.Index(line, ev); i >= 0 {
			return line[:i], ev[2 : len(ev)-2], line[i+len(ev):], nil
		}
	}
	return "", "", "", fmt.Errorf("trace: not one of the traced events: %q", line)
}

// parseStamp reads the last word of head, "seconds.fraction"; the kernel
// prints microseconds for the mono clock, so the fraction is scaled by its
// number of digits.
func parseStamp(head string) (time.Duration, error) {
	stamp := head[strings.LastIndexByte(head, ' ')+1:]
	sec, frac, ok := strings.Cut(stamp, ".")
	if !ok || len(frac) == 0 || len(frac) > 9 {
		return 0, fmt.Errorf("trace: bad timestamp %q", stamp)
	}
	s, err := strconv.ParseUint(sec, 10, 63)
	if err != nil || s > uint64(1<<62)/uint64(time.Second) {
		return 0, fmt.Errorf("trace: bad timestamp %q", stamp)
	}
	f, err := strconv.ParseUint(frac, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("trace: bad timestamp %q", stamp)
	}
	for i := len(frac); i < 9; i++ {
		f *= 10
	}
	return time.Duration(s)*time.Second + time.Duration(f), nil
}

// fields splits "k1=v1 k2=v2" (no value of these events contains a space).
func fields(s string) map[string]string {
	m := make(map[string]string, 12)
	for _, kv := range strings.Fields(s) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func parseEvent(name string, f map[string]string) (Transition, error) {
	switch name {
	case "inet_sock_set_state":
		return parseSetState(f)
	case "tcp_receive_reset":
		return parseSockEvent(ResetReceived, f)
	case "tcp_destroy_sock":
		return parseSockEvent(Destroyed, f)
	case "tcp_send_reset":
		return parseSendReset(f)
	}
	return Transition{}, fmt.Errorf("trace: unexpected event %q", name)
}

func parseSetState(f map[string]string) (Transition, error) {
	if f["protocol"] != "IPPROTO_TCP" {
		return Transition{}, fmt.Errorf("trace: not a TCP socket (protocol %q)", f["protocol"])
	}
	t, err := parseSockEvent(StateChange, f)
	if err != nil {
		return t, err
	}
	if t.From, err = kernelState(f["oldstate"]); err != nil {
		return t, err
	}
	t.To, err = kernelState(f["newstate"])
	return t, err
}

func kernelState(name string) (tcpstate.State, error) {
	if s, ok := kernelStates[name]; ok {
		return s, nil
	}
	return tcpstate.Invalid, fmt.Errorf("trace: unknown state %q", name)
}

// parseSockEvent reads the address block that inet_sock_set_state,
// tcp_receive_reset and tcp_destroy_sock share. The kernel fills both the
// IPv4 and the IPv6 fields; only the pair of the socket's family is
// meaningful (an IPv6 socket shows junk in saddr).
func parseSockEvent(k Kind, f map[string]string) (Transition, error) {
	t := Transition{Kind: k}
	src, dst := "saddr", "daddr"
	switch f["family"] {
	case "AF_INET":
	case "AF_INET6":
		src, dst = "saddrv6", "daddrv6"
	default:
		return t, fmt.Errorf("trace: unknown family %q", f["family"])
	}
	var err error
	if t.Local, err = addrPort(f[src], f["sport"]); err != nil {
		return t, err
	}
	if t.Remote, err = addrPort(f[dst], f["dport"]); err != nil {
		return t, err
	}
	if c, ok := f["sock_cookie"]; ok {
		if t.Cookie, err = strconv.ParseUint(c, 16, 64); err != nil {
			return t, fmt.Errorf("trace: sock_cookie %q: %w", c, err)
		}
	}
	return t, nil
}

// addrPort builds an address; IPv4-mapped IPv6 addresses (a dual-stack
// socket talking IPv4) are unmapped so they compare equal to the IPv4
// addresses captured packets carry.
func addrPort(addr, port string) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("trace: address %q: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("trace: port %q: %w", port, err)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

// parseSendReset reads tcp_send_reset, which on 6.18 prints socket
// addresses (src=127.0.0.1:42036, dest=[::1]:9527) rather than port fields.
// src is always the sender of the RST, even when the kernel answers a
// segment for which it has no full socket (it then reverses the segment's
// addresses). state is UNKNOWN when no socket was involved.
func parseSendReset(f map[string]string) (Transition, error) {
	t := Transition{Kind: ResetSent, Reason: f["reason"]}
	var err error
	if t.Local, err = sockaddr(f["src"]); err != nil {
		return t, err
	}
	if t.Remote, err = sockaddr(f["dest"]); err != nil {
		return t, err
	}
	if t.Skaddr, err = strconv.ParseUint(f["skaddr"], 16, 64); err != nil {
		return t, fmt.Errorf("trace: skaddr %q: %w", f["skaddr"], err)
	}
	if st := f["state"]; st != "UNKNOWN" {
		if t.From, err = kernelState(st); err != nil {
			return t, err
		}
	}
	return t, nil
}

func sockaddr(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, fmt.Errorf("trace: socket address %q: %w", s, err)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
