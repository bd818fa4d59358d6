package sockdiag

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpteardown/teardown/internal/netns"
)

// PortRange is the ephemeral port range (net.ipv4.ip_local_port_range) from
// which connect() picks local ports. Every TIME-WAIT socket of an active
// closer keeps one of these ports busy towards the same peer for 60 s.
type PortRange struct{ Low, High uint16 }

// Size is the number of ports in the range.
func (r PortRange) Size() int { return int(r.High) - int(r.Low) + 1 }

// EphemeralPorts reads the ephemeral port range of the caller's network
// namespace.
func EphemeralPorts() (PortRange, error) { return EphemeralPortsIn(0) }

// EphemeralPortsIn reads the ephemeral port range of the network namespace
// nsfd (a descriptor of it, as in [Filter].NetNS; 0: the caller's).
func EphemeralPortsIn(nsfd int) (PortRange, error) {
	b, err := netns.ReadFileIn(nsfd, "/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return PortRange{}, fmt.Errorf("sockdiag: ephemeral port range: %w", err)
	}
	return ParsePortRange(string(b))
}

// ParsePortRange parses the sysctl's text, two numbers separated by
// white space ("32768\t60999\n").
func ParsePortRange(s string) (PortRange, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return PortRange{}, fmt.Errorf("sockdiag: port range %q: want two numbers", s)
	}
	lo, err1 := strconv.ParseUint(f[0], 10, 16)
	hi, err2 := strconv.ParseUint(f[1], 10, 16)
	if err1 != nil || err2 != nil || lo == 0 || lo > hi {
		return PortRange{}, fmt.Errorf("sockdiag: port range %q: want low ≤ high in 1–65535", s)
	}
	return PortRange{Low: uint16(lo), High: uint16(hi)}, nil
}
