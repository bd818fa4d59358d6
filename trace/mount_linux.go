package trace

import "github.com/tcpteardown/teardown/internal/sys"

// tracefsMagic is TRACEFS_MAGIC from include/uapi/linux/magic.h.
const tracefsMagic = 0x74726163

// isTracefs reports whether dir is the root of a mounted tracefs.
func isTracefs(dir string) (bool, error) {
	t, err := sys.FsType(dir)
	return err == nil && t == tracefsMagic, err
}

// mountTracefs mounts tracefs on dir, as `mount -t tracefs nodev dir` does.
// It needs CAP_SYS_ADMIN.
func mountTracefs(dir string) error { return sys.Mount("nodev", dir, "tracefs") }
