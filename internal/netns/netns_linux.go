package netns

import (
	"fmt"
	"net"

	"github.com/tcpteardown/teardown/internal/sys"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
)

// NS is a network namespace: a private one from New, or an existing one
// from Open.
type NS struct {
	h    vnetns.NsHandle
	name string
}

// New creates a private namespace and brings up its lo.
func New() (*NS, error) { return NewNamed("") }

// NewNamed is New with a name for error messages and for telling the
// namespaces of one scenario apart (the two hosts of a wire). The name is
// only a label: nothing is created in /run/netns.
func NewNamed(name string) (*NS, error) {
	ns := &NS{h: -1, name: name}
	err := OnOwnThread(func() error {
		// unshare moves only this thread, which is thrown away after.
		if err := sys.Unshare(sys.CLONE_NEWNET); err != nil {
			return fmt.Errorf("netns: create%s: %w (needs root or CAP_SYS_ADMIN)", ns.label(), err)
		}
		h, err := vnetns.Get()
		if err != nil {
			return fmt.Errorf("netns: create%s: %w", ns.label(), err)
		}
		ns.h = h
		return setLoUp()
	})
	if err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// Open returns an existing namespace by a file that refers to it: an
// `ip netns add` name's /run/netns/NAME, or /proc/PID/ns/net. The file must
// be a network namespace (nsfs, CLONE_NEWNET).
func Open(path string) (*NS, error) {
	fd, err := sys.Open(path, sys.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err) // "open PATH: …"
	}
	ns := &NS{h: vnetns.NsHandle(fd), name: path}
	if err := ns.checkType(); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// checkType asks the kernel what the descriptor is (NS_GET_NSTYPE, Linux
// 4.11): a path that is not a network namespace is refused before setns.
func (n *NS) checkType() error {
	t, err := sys.IoctlRetInt(int(n.h), sys.NS_GET_NSTYPE)
	if err != nil || t != sys.CLONE_NEWNET {
		return fmt.Errorf("netns: %s is not a network namespace", n.name)
	}
	return nil
}

// LoopbackUp brings up lo in the calling thread's namespace: a process
// started in a namespace of its own (CLONE_NEWNET) finds it down. If lo is
// up already nothing is asked of the kernel, so a process without the
// privilege (a child of that process that dropped it) succeeds too.
func LoopbackUp() error {
	if lo, err := net.InterfaceByName("lo"); err == nil && lo.Flags&net.FlagUp != 0 {
		return nil
	}
	return setLoUp()
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

// Name is the name given to NewNamed, or Open's path.
func (n *NS) Name() string { return n.name }

// Path is a path that refers to the namespace from this process while the
// handle is open (/proc/self/fd/N), e.g. for a child started with its
// descriptor, or for Open.
func (n *NS) Path() string { return fmt.Sprintf("/proc/self/fd/%d", int(n.h)) }

func (n *NS) label() string {
	if n.name == "" {
		return ""
	}
	return " " + n.name
}

// Do runs fn on an OS thread inside the namespace (see the package doc and
// DoFD: the thread is discarded after, a panic in fn is raised again
// here). Sockets fn creates stay in the namespace for their whole life,
// wherever they are used later. Processes fn starts are born inside too;
// do not give them SysProcAttr.Pdeathsig: the parent-death signal follows
// the thread that forked them (prctl(2) PR_SET_PDEATHSIG), and that thread
// ends when Do returns.
func (n *NS) Do(fn func() error) error {
	if n == nil || !n.h.IsOpen() {
		return fmt.Errorf("netns: Do on a closed namespace")
	}
	return DoFD(int(n.h), fn)
}

// Close releases the handle; the kernel frees the namespace once no socket
// or process uses it.
func (n *NS) Close() error {
	if n == nil || !n.h.IsOpen() {
		return nil
	}
	return n.h.Close() // sets the handle to -1
}
