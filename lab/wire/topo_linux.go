package wire

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/tcpteardown/teardown/internal/netns"
)

// tunName is the device's name in each host (each has its own namespace).
const tunName = "wire0"

// openTUN creates the host's TUN device inside ns and configures it. The
// device belongs to the namespace of the thread that opens /dev/net/tun
// (tun_chr_open takes current's net namespace), so the open happens in
// ns.Do. It disappears when the returned file is closed: it is not
// persistent (no TUNSETPERSIST).
func openTUN(ns *netns.NS, addr netip.Addr, ipv6 bool) (*os.File, error) {
	var f *os.File
	err := ns.Do(func() error {
		fd, err := createTUN(tunName)
		if err != nil {
			return tunOpenError(err)
		}
		// A non-blocking descriptor goes to Go's poller, so Read parks the
		// goroutine and Close wakes it. Only after TUNSETIFF: a descriptor
		// with no device attached polls as EPOLLERR, and the runtime would
		// mark it broken for good ("not pollable" on every Read).
		f = os.NewFile(uintptr(fd), "/dev/net/tun")
		return nil
	})
	if err == nil {
		// Once the device exists and before it is up (it would send
		// router solicitations); beneath /proc/sys/net, as every sysctl.
		err = quietIPv6(ns, ipv6)
	}
	if err == nil {
		err = ns.Do(func() error { return configure(addr, ipv6) })
	}
	if err != nil && f != nil {
		f.Close()
		f = nil
	}
	return f, err
}

func tunOpenError(err error) error {
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("%w (run as root, or make the device usable: chmod 0666 /dev/net/tun)", err)
	}
	return err
}

// The device is opened without IFF_VNET_HDR and never given
// TUNSETOFFLOAD, so it announces no checksum or segmentation offload
// (tun_net_fix_features): every packet the wire reads is a finished,
// wire-sized segment with its checksums filled in.

// configure gives the device its address, MTU 1500 and a connected route
// to the peer's address, and brings it up. It runs inside the namespace.
func configure(addr netip.Addr, ipv6 bool) error {
	link, err := netlink.LinkByName(tunName)
	if err != nil {
		return fmt.Errorf("find %s: %w", tunName, err)
	}
	if err := netlink.LinkSetMTU(link, 1500); err != nil {
		return fmt.Errorf("set %s mtu: %w", tunName, err)
	}
	bits := 24
	if ipv6 {
		bits = 64
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", tunName, err)
	}
	// No duplicate address detection: the only other host is ours.
	a := &netlink.Addr{IPNet: &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(bits, addr.BitLen())}, Flags: syscall.IFA_F_NODAD}
	if !ipv6 {
		if err := netlink.AddrAdd(link, a); err != nil {
			return fmt.Errorf("add %s to %s: %w", addr, tunName, err)
		}
		return nil
	}
	return addLocal6(link, a, addr)
}

// addLocal6 adds an IPv6 address and returns once the host accepts
// packets for it. Even without DAD, Linux finishes an IPv6 address in a
// workqueue (addrconf_dad_work → addrconf_dad_completed), which inserts
// its local route; a packet that arrives before is dropped
// (Ip6InAddrErrors). Measured here on a loaded machine: half of the first
// SYNs lost, connect taking 1 s. So wait for that route's RTM_NEWROUTE.
func addLocal6(link netlink.Link, a *netlink.Addr, addr netip.Addr) error {
	ch := make(chan netlink.RouteUpdate, 16)
	done := make(chan struct{})
	if err := netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{ErrorCallback: func(error) {}}); err != nil {
		return fmt.Errorf("watch routes: %w", err)
	}
	defer func() {
		close(done)
		for range ch { // the subscription's goroutine ends by closing ch
		}
	}()
	if err := netlink.AddrAdd(link, a); err != nil {
		return fmt.Errorf("add %s to %s: %w", addr, tunName, err)
	}
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case u, ok := <-ch:
			if !ok {
				return fmt.Errorf("watch routes for %s: subscription ended", addr)
			}
			if isLocalRoute(u, addr) {
				return nil
			}
		case <-timeout.C:
			return fmt.Errorf("address %s on %s not usable after 5s", addr, tunName)
		}
	}
}

func isLocalRoute(u netlink.RouteUpdate, addr netip.Addr) bool {
	if u.Type != syscall.RTM_NEWROUTE || u.Route.Type != syscall.RTN_LOCAL || u.Dst == nil {
		return false
	}
	ip, ok := netip.AddrFromSlice(u.Dst.IP)
	return ok && ip.Unmap() == addr
}

// quietIPv6 keeps the device from sending what the hosts do not need: no
// IPv6 at all on an IPv4 wire, no router solicitations on an IPv6 one.
// What is left (MLD reports on an IPv6 wire) is forwarded like any packet.
func quietIPv6(ns *netns.NS, ipv6 bool) error {
	name, val := "net/ipv6/conf/"+tunName+"/disable_ipv6", "1"
	if ipv6 {
		name, val = "net/ipv6/conf/"+tunName+"/router_solicitations", "0"
	}
	return ns.SetSysctl(name, val)
}
