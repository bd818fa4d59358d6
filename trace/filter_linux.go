package trace

import (
	"fmt"
	"slices"
	"strings"
)

// portClause is the part of a kernel event filter that keeps the chosen
// ports at either end, "(sport == 9527 || dport == 9527)"; "" for all.
func (c *Config) portClause() string {
	var terms []string
	for _, p := range c.Ports {
		terms = append(terms, fmt.Sprintf("sport == %d || dport == %d", p, p))
	}
	if len(terms) == 0 {
		return ""
	}
	return "(" + strings.Join(terms, " || ") + ")"
}

// setStateFilter keeps TCP only: inet_sock_set_state also fires for SCTP
// and for MPTCP's own sockets (protocol 262), whose subflows are plain TCP.
func (c *Config) setStateFilter() string {
	if pc := c.portClause(); pc != "" {
		return "protocol == 6 && " + pc
	}
	return "protocol == 6"
}

// match filters in Go what the kernel could not: tcp_send_reset has no port
// fields on 6.18, only socket addresses.
func (c *Config) match(t Transition) bool {
	if len(c.Ports) == 0 {
		return true
	}
	return slices.Contains(c.Ports, t.Local.Port()) || slices.Contains(c.Ports, t.Remote.Port())
}
