package capture

import "golang.org/x/net/bpf"

// programFor is the kernel filter of a Config: its expression, or its
// ports.
func programFor(c *Config, dropOutgoing bool) ([]bpf.RawInstruction, error) {
	if c.Filter == nil {
		return filter(c.Ports, dropOutgoing, c.SnapLen)
	}
	return exprProgram(WithPorts(c.Filter, c.Ports), dropOutgoing, uint32(c.SnapLen))
}
