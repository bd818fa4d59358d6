package sys

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenTUN creates the TUN device name in the calling thread's network
// namespace (tun_chr_open takes current's namespace) and returns its
// non-blocking descriptor: IP packets with neither Ethernet header
// (IFF_TUN) nor the 4-byte packet-information prefix (IFF_NO_PI). The
// device is not persistent: it disappears when the descriptor is closed.
func OpenTUN(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("open /dev/net/tun", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tun ifreq %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("ioctl TUNSETIFF", err)
	}
	return fd, nil
}

// CanReadWrite reports whether the real user may open path for reading
// and writing (access(2) with R_OK|W_OK).
func CanReadWrite(path string) bool {
	return unix.Access(path, unix.R_OK|unix.W_OK) == nil
}
