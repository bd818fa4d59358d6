//go:build !linux

package wire

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/sys"
)

func openTUN(ns *netns.NS, addr netip.Addr, ipv6 bool) (*os.File, error) {
	return nil, fmt.Errorf("tun: %w", sys.ErrNotSupported)
}
