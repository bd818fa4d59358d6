package sys

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Packet sockets (AF_PACKET, packet(7)) with a TPACKET_V3 receive ring
// shared with the kernel (Documentation/networking/packet_mmap.rst). The
// ring's layout is the kernel's: a block starts with a struct
// tpacket_block_desc whose header (TpacketHdrV1) sits at
// TpacketBlockHdrOffset; each frame in it starts with a Tpacket3Hdr.

// Tpacket3Hdr is struct tpacket3_hdr, the header of one frame in a block.
type Tpacket3Hdr = unix.Tpacket3Hdr

// TpacketHdrV1 is struct tpacket_hdr_v1, a block's header.
type TpacketHdrV1 = unix.TpacketHdrV1

// Offsets and sizes of the ring's structures, and the owners of a block
// (its block_status) and of a frame's VLAN tag (tp_status).
const (
	TpacketBlockHdrOffset = 8 // version and offset_to_priv come first
	SizeofTpacket3Hdr     = unix.SizeofTpacket3Hdr
	TP_STATUS_KERNEL      = unix.TP_STATUS_KERNEL
	TP_STATUS_USER        = unix.TP_STATUS_USER
	TP_STATUS_VLAN_VALID  = unix.TP_STATUS_VLAN_VALID
)

// htons is the protocol in network order, as sockaddr_ll wants it.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// PacketSocket is socket(AF_PACKET, SOCK_RAW, 0), close-on-exec and
// non-blocking. With protocol 0 it receives nothing until BindPacket names
// one, so the ring and the filter can be set up first.
func PacketSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	return fd, os.NewSyscallError("socket", err)
}

// BindPacket is bind(2) with a sockaddr_ll for every protocol (ETH_P_ALL)
// on the interface ifindex; ifindex 0 is every interface.
func BindPacket(fd, ifindex int) error {
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	return os.NewSyscallError("bind", unix.Bind(fd, sa))
}

// PacketVersionV3 is setsockopt PACKET_VERSION TPACKET_V3 (before
// PacketRxRing).
func PacketVersionV3(fd int) error {
	return os.NewSyscallError("setsockopt PACKET_VERSION",
		unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3))
}

// PacketRxRing is setsockopt PACKET_RX_RING with a struct tpacket_req3:
// blocks of blockSize bytes (a multiple of the page size), frames of
// frameSize (the kernel checks only that they divide the blocks), and
// retire: how long the kernel may fill a block before handing it over
// (tp_retire_blk_tov, in milliseconds, at least 1).
func PacketRxRing(fd, blockSize, blocks, frameSize int, retire time.Duration) error {
	req := unix.TpacketReq3{
		Block_size:     uint32(blockSize),
		Block_nr:       uint32(blocks),
		Frame_size:     uint32(frameSize),
		Frame_nr:       uint32(blockSize / frameSize * blocks),
		Retire_blk_tov: uint32(max(retire.Milliseconds(), 1)),
	}
	return os.NewSyscallError("setsockopt PACKET_RX_RING", unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req))
}

// PacketStatistics is getsockopt PACKET_STATISTICS (struct
// tpacket_stats_v3): the frames that passed the filter, drops included,
// and the drops, since the previous call. The kernel resets its counters on
// every read.
func PacketStatistics(fd int) (packets, drops uint32, err error) {
	st, err := unix.GetsockoptTpacketStatsV3(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0, 0, os.NewSyscallError("getsockopt PACKET_STATISTICS", err)
	}
	return st.Packets, st.Drops, nil
}

// Mmap is mmap(2) of length bytes of fd, shared and read-write (a packet
// socket's ring: the kernel maps every page at once).
func Mmap(fd, length int) ([]byte, error) {
	b, err := unix.Mmap(fd, 0, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	return b, os.NewSyscallError("mmap", err)
}

// Munmap is munmap(2) of a mapping Mmap returned.
func Munmap(b []byte) error { return os.NewSyscallError("munmap", unix.Munmap(b)) }
