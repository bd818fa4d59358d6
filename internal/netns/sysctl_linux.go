package netns

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/tcpteardown/teardown/internal/sys"
)

// SetSysctl writes a sysctl of the namespace, e.g.
// SetSysctl("net/ipv4/tcp_fin_timeout", "2"). Only per-namespace sysctls
// under net/ are private to a namespace; the name must pass
// CheckSysctlName and is opened beneath /proc/sys/net (openSysctl).
func (n *NS) SetSysctl(name, value string) error {
	if err := CheckSysctlName(name); err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	if err := CheckSysctlValue(value); err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	err := n.Do(func() error {
		f, err := openSysctl(name, sys.O_WRONLY)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString(value) // one write(2): a sysctl parses each write whole
		return err
	})
	if err != nil {
		return fmt.Errorf("netns: set sysctl %s%s: %w", name, n.label(), err)
	}
	return nil
}

// Sysctl reads a sysctl of the namespace, with the same checks as SetSysctl.
func (n *NS) Sysctl(name string) (string, error) {
	if err := CheckSysctlName(name); err != nil {
		return "", fmt.Errorf("netns: %w", err)
	}
	var v []byte
	err := n.Do(func() error {
		f, err := openSysctl(name, sys.O_RDONLY)
		if err != nil {
			return err
		}
		defer f.Close()
		v, err = io.ReadAll(io.LimitReader(f, 4096))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("netns: read sysctl %s%s: %w", name, n.label(), err)
	}
	return strings.TrimSpace(string(v)), nil
}

// SysctlExists reports whether name (checked by CheckSysctlName) is a
// sysctl file in the caller's own namespace, without opening it for
// reading or writing. A fresh namespace has the same per-namespace sysctls
// as the host's, except those of interfaces it does not have (eth0 …).
func SysctlExists(name string) (bool, error) {
	if err := CheckSysctlName(name); err != nil {
		return false, err
	}
	f, err := openSysctl(name, sys.O_PATH)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotFile) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	f.Close()
	return true, nil
}

var errNotFile = errors.New("not a sysctl file (a directory?)")

// openSysctl opens net/… beneath a descriptor of /proc/sys/net. openat2's
// RESOLVE_BENEATH refuses any path that would leave that directory ("..",
// absolute paths), RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS refuse
// every link on the way, RESOLVE_NO_XDEV every mount crossing: whatever the
// name, only a file under /proc/sys/net can be opened (openat2(2); Linux
// 5.6). Where openat2 is missing the call fails: there is no fallback that
// joins strings onto /proc/sys. The file must be regular (not a directory).
func openSysctl(name string, flags int) (*os.File, error) {
	root, err := openProcSysNet()
	if err != nil {
		return nil, err
	}
	defer sys.RawClose(root)
	fd, err := sys.OpenBeneath(root, strings.TrimPrefix(name, "net/"), flags)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Path = "/proc/sys/" + name
		}
		return nil, err
	}
	if t, err := sys.FileType(fd); err != nil || t != sys.S_IFREG {
		sys.RawClose(fd)
		return nil, fmt.Errorf("/proc/sys/%s: %w", name, errNotFile)
	}
	return os.NewFile(uintptr(fd), "/proc/sys/"+name), nil
}

// openProcSysNet opens /proc/sys/net as a directory descriptor (O_PATH)
// and makes sure it is procfs: what is mounted at /proc is the process's
// business, but a sysctl is only ever written into procfs.
func openProcSysNet() (int, error) {
	fd, err := sys.Open("/proc/sys/net", sys.O_PATH|sys.O_DIRECTORY|sys.O_NOFOLLOW)
	if err != nil {
		return -1, err
	}
	if t, err := sys.FsTypeFD(fd); err != nil || t != sys.PROC_SUPER_MAGIC {
		sys.RawClose(fd)
		return -1, fmt.Errorf("/proc/sys/net is not procfs")
	}
	return fd, nil
}
