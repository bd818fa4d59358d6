//go:build !linux

package netns

import (
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
	vnetns "github.com/vishvananda/netns"
)

// NS is a network namespace (Linux only).
type NS struct{}

var errNS = fmt.Errorf("netns: %w", sys.ErrNotSupported)

// New reports that namespaces need Linux.
func New() (*NS, error) { return nil, errNS }

// NewNamed reports that namespaces need Linux.
func NewNamed(name string) (*NS, error) { return nil, errNS }

// Open reports that namespaces need Linux.
func Open(path string) (*NS, error) { return nil, errNS }

// SysctlExists reports that sysctls under /proc/sys/net need Linux.
func SysctlExists(name string) (bool, error) { return false, errNS }

func (n *NS) Do(fn func() error) error { return errNS }

// LoopbackUp needs Linux.
func LoopbackUp() error                          { return errNS }
func (n *NS) SetSysctl(name, value string) error { return errNS }
func (n *NS) Sysctl(name string) (string, error) { return "", errNS }
func (n *NS) Name() string                       { return "" }
func (n *NS) Path() string                       { return "" }
func (n *NS) Close() error                       { return nil }

// Handle is no namespace (Linux only).
func (n *NS) Handle() vnetns.NsHandle { return vnetns.None() }
