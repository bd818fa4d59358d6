package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// Flags of Open and modes of Access.
const (
	O_RDWR     = unix.O_RDWR
	O_NONBLOCK = unix.O_NONBLOCK
	R_OK       = unix.R_OK
	W_OK       = unix.W_OK
)

// Open is open(2), always close-on-exec.
func Open(path string, flags int) (int, error) {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// OpenPollable opens name read-only and non-blocking and hands it to the Go
// runtime's poller. Some files stat as regular files but support poll(2)
// (tracefs's trace_pipe): os.Open would do blocking reads that Close cannot
// interrupt, while with a non-blocking descriptor a blocked Read returns
// when the file is closed or its read deadline passes.
func OpenPollable(name string) (*os.File, error) {
	fd, err := Open(name, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Access is access(2): whether the real user may use path in mode (R_OK,
// W_OK …), honouring capabilities as the kernel will.
func Access(path string, mode uint32) error {
	return os.NewSyscallError("access", unix.Access(path, mode))
}

// FsType is statfs(2)'s f_type of the file system holding path (a magic
// number of include/uapi/linux/magic.h).
func FsType(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, os.NewSyscallError("statfs", err)
	}
	return int64(st.Type), nil
}

// Mount is mount(2) with no flags: `mount -t fstype source target`. It
// needs CAP_SYS_ADMIN.
func Mount(source, target, fstype string) error {
	return os.NewSyscallError("mount", unix.Mount(source, target, fstype, 0, ""))
}
