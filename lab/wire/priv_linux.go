package wire

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/tcpteardown/teardown/internal/sys"
)

func preflight() error {
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return fmt.Errorf("wire: no TUN device (the kernel needs CONFIG_TUN): %w", err)
	}
	if os.Geteuid() == 0 {
		return nil // root, or root of a user namespace: New says if the device refuses
	}
	if !userNSAllowed() {
		return errors.New("wire: needs root: unprivileged user namespaces are disabled here (kernel.unprivileged_userns_clone or user.max_user_namespaces is 0)")
	}
	// Inside a user namespace the process is root only over what that
	// namespace owns; /dev/net/tun still belongs to the real root, so its
	// mode decides (Debian's default is 0666, some images ship 0600).
	if sys.Access("/dev/net/tun", sys.R_OK|sys.W_OK) != nil {
		return fmt.Errorf("wire: needs root: /dev/net/tun is not readable and writable by uid %d, not even from a user namespace (run as root, or chmod 0666 /dev/net/tun)", os.Getuid())
	}
	return nil
}

// userNSAllowed reads the two switches Linux distributions use to forbid
// unprivileged user namespaces.
func userNSAllowed() bool {
	for _, p := range []string{"/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces"} {
		b, err := os.ReadFile(p)
		if err == nil && strings.TrimSpace(string(b)) == "0" {
			return false
		}
	}
	return true
}

func userNS() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		// A new network namespace too: the namespaces New makes must be
		// entered and left, and setns back into a namespace that the
		// initial user namespace owns needs privilege there (EPERM).
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		// An unprivileged process may write gid_map only after denying
		// setgroups (user_namespaces(7)).
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	}
}
