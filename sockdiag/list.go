package sockdiag

import (
	"cmp"
	"slices"

	"github.com/tcpteardown/teardown/tcpstate"
)

// List returns the TCP sockets (IPv4 and IPv6) that match f, sorted by
// state (in the kernel's order), then local, then remote address — like
// `ss -tanoie`, but typed. TIME-WAIT and SYN-RECV rows are mini-sockets
// without TCP_INFO (Info is nil).
func List(f Filter) ([]Socket, error) {
	socks, err := list(f)
	if err != nil {
		return nil, err
	}
	socks = slices.DeleteFunc(socks, func(s Socket) bool { return !f.Match(s) })
	slices.SortFunc(socks, compare)
	return socks, nil
}

// Match reports whether s passes the filter's ports and states (NetNS is
// not a property of a row: it chooses where List looks).
func (f Filter) Match(s Socket) bool {
	if len(f.States) > 0 && !slices.Contains(f.States, s.State) {
		return false
	}
	if len(f.Ports) == 0 {
		return true
	}
	return slices.Contains(f.Ports, s.Local.Port()) || slices.Contains(f.Ports, s.Remote.Port())
}

func compare(a, b Socket) int {
	return cmp.Or(
		cmp.Compare(a.State, b.State),
		a.Local.Compare(b.Local),
		a.Remote.Compare(b.Remote),
	)
}

// Count returns how many sockets are in each state (states with no socket
// are absent).
func Count(socks []Socket) map[tcpstate.State]int {
	m := make(map[tcpstate.State]int)
	for _, s := range socks {
		m[s.State]++
	}
	return m
}
