package sys

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Constants of IoctlIfreqFlags for a TUN device (linux/if_tun.h).
const (
	TUNSETIFF = unix.TUNSETIFF
	IFF_TUN   = unix.IFF_TUN
	IFF_NO_PI = unix.IFF_NO_PI
)

// IoctlIfreqFlags is an ioctl whose argument is a struct ifreq carrying an
// interface name and flags (TUNSETIFF …).
func IoctlIfreqFlags(fd int, req uint, name string, flags uint16) error {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("ifreq %q: %w", name, err)
	}
	ifr.SetUint16(flags)
	return os.NewSyscallError("ioctl", unix.IoctlIfreq(fd, req, ifr))
}

// IoctlInt runs an ioctl that reads an integer (SIOCINQ …).
func IoctlInt(fd int, req uint) (int, error) {
	v, err := unix.IoctlGetInt(fd, req)
	if err != nil {
		return 0, os.NewSyscallError("ioctl", err)
	}
	return v, nil
}

// IoctlRetInt runs an ioctl whose result is its return value
// (NS_GET_NSTYPE …).
func IoctlRetInt(fd int, req uint) (int, error) {
	v, err := unix.IoctlRetInt(fd, req)
	if err != nil {
		return 0, os.NewSyscallError("ioctl", err)
	}
	return v, nil
}
