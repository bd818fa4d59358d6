package wire

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

// createTUN creates the TUN device name in the calling thread's network
// namespace (tun_chr_open takes current's namespace) and returns its
// non-blocking descriptor: IP packets with neither Ethernet header
// (IFF_TUN) nor the 4-byte packet-information prefix (IFF_NO_PI). The
// device is not persistent: it disappears when the descriptor is closed.
func createTUN(name string) (int, error) {
	fd, err := sys.Open("/dev/net/tun", sys.O_RDWR|sys.O_NONBLOCK)
	if err != nil {
		return -1, err
	}
	if err := sys.IoctlIfreqFlags(fd, sys.TUNSETIFF, name, sys.IFF_TUN|sys.IFF_NO_PI); err != nil {
		sys.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF %s: %w", name, err)
	}
	return fd, nil
}
