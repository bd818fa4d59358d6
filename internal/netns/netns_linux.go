// Package netns creates private network namespaces: a fresh, empty network
// stack with its own loopback, sockets, sysctls (tcp_fin_timeout …) and
// firewall, so that experiments that change the kernel's settings never
// touch the host's. A namespace lives while its handle (or a socket in it)
// is open; nothing is left in /var/run/netns.
package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
)

// NS is a private network namespace with its loopback up.
type NS struct{ h vnetns.NsHandle }

// New creates a namespace and brings up its lo.
func New() (*NS, error) {
	var ns *NS
	err := onLockedThread(func(orig vnetns.NsHandle) error {
		h, err := vnetns.New() // unshare(CLONE_NEWNET): this thread is now inside
		if err != nil {
			return fmt.Errorf("netns: create: %w (needs root or CAP_SYS_ADMIN)", err)
		}
		ns = &NS{h: h}
		return setLoUp()
	})
	if err != nil && ns != nil {
		ns.Close()
		return nil, err
	}
	return ns, err
}

func setLoUp() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("netns: find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("netns: set lo up: %w", err)
	}
	return nil
}

// Handle returns the namespace's descriptor (for netlink.NewHandleAt).
func (n *NS) Handle() vnetns.NsHandle { return n.h }

// Do runs fn on an OS thread inside the namespace. Sockets fn creates stay
// in the namespace for their whole life, wherever they are used later.
func (n *NS) Do(fn func() error) error {
	return onLockedThread(func(vnetns.NsHandle) error {
		if err := vnetns.Set(n.h); err != nil {
			return fmt.Errorf("netns: enter: %w", err)
		}
		return fn()
	})
}

// SetSysctl writes a sysctl of the namespace, e.g.
// SetSysctl("net/ipv4/tcp_fin_timeout", "2"). Only per-namespace sysctls
// (most of net/ipv4/tcp_*) are private; others would change the host, so
// the path must start with net/.
func (n *NS) SetSysctl(path, value string) error {
	if !strings.HasPrefix(path, "net/") {
		return fmt.Errorf("netns: sysctl %s is not per-namespace", path)
	}
	return n.Do(func() error {
		return os.WriteFile(filepath.Join("/proc/sys", path), []byte(value), 0o644)
	})
}

// Sysctl reads a sysctl of the namespace.
func (n *NS) Sysctl(path string) (string, error) {
	var v []byte
	err := n.Do(func() (err error) {
		v, err = os.ReadFile(filepath.Join("/proc/sys", path))
		return err
	})
	return strings.TrimSpace(string(v)), err
}

// Close releases the handle; the kernel frees the namespace once no socket
// or process uses it.
func (n *NS) Close() error {
	if n == nil || !n.h.IsOpen() {
		return nil
	}
	return n.h.Close()
}

// onLockedThread runs fn on a locked thread and moves the thread back to its
// original namespace after. If that fails the thread stays locked, so the
// runtime discards it when the goroutine ends instead of reusing a thread in
// the wrong namespace.
func onLockedThread(fn func(orig vnetns.NsHandle) error) error {
	runtime.LockOSThread()
	orig, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: current: %w", err)
	}
	defer orig.Close()
	ferr := fn(orig)
	if err := vnetns.Set(orig); err != nil {
		return fmt.Errorf("netns: restore: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}
