//go:build linux

package capture

import (
	"os"
	"strconv"
	"syscall"

	"github.com/gopacket/gopacket/afpacket"
)

// newTPacket opens the ring with its packet socket marked close-on-exec.
// gopacket's afpacket creates the socket without SOCK_CLOEXEC and keeps the
// descriptor to itself, so a program started meanwhile (the lab starts
// children while it captures) would inherit the socket and keep the ring
// alive. So every packet socket of the process is marked afterwards (each
// should be; a listing taken before would not tell the new socket apart,
// since it may reuse the number of the directory the listing read).
// Holding syscall.ForkLock for reading meanwhile keeps os/exec from forking
// (it takes the lock for writing), as Go does for its own descriptors on
// kernels without SOCK_CLOEXEC.
func newTPacket(opts ...any) (*afpacket.TPacket, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	tp, err := afpacket.NewTPacket(opts...)
	if err != nil {
		return nil, err
	}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && isPacketSocket(fd) {
			syscall.CloseOnExec(fd)
		}
	}
	return tp, nil
}

func isPacketSocket(fd int) bool {
	d, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_DOMAIN)
	return err == nil && d == syscall.AF_PACKET
}
