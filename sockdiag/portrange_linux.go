package sockdiag

import (
	"fmt"
	"os"
)

func ephemeralPorts() (PortRange, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return PortRange{}, fmt.Errorf("sockdiag: ephemeral port range: %w", err)
	}
	return ParsePortRange(string(b))
}
