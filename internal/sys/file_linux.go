package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// Flags of Open and OpenBeneath, modes of Access, file types of FileType
// and file system types of FsType.
const (
	O_RDONLY         = unix.O_RDONLY
	O_WRONLY         = unix.O_WRONLY
	O_RDWR           = unix.O_RDWR
	O_NONBLOCK       = unix.O_NONBLOCK
	O_PATH           = unix.O_PATH
	O_DIRECTORY      = unix.O_DIRECTORY
	O_NOFOLLOW       = unix.O_NOFOLLOW
	R_OK             = unix.R_OK
	W_OK             = unix.W_OK
	S_IFMT           = unix.S_IFMT
	S_IFREG          = unix.S_IFREG
	PROC_SUPER_MAGIC = unix.PROC_SUPER_MAGIC
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

// OpenBeneath opens name relative to the directory dirfd with openat2(2)
// (Linux 5.6), close-on-exec, refusing every way out of that directory:
// RESOLVE_BENEATH refuses "..", absolute paths and links that leave it,
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS every link on the way,
// RESOLVE_NO_XDEV every mount crossing, O_NOFOLLOW a link as last component.
func OpenBeneath(dirfd int, name string, flags int) (int, error) {
	how := &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	}
	fd, err := unix.Openat2(dirfd, name, how)
	if err != nil {
		return -1, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	return fd, nil
}

// FileType is the S_IFMT bits of fstat(2)'s st_mode (S_IFREG …).
func FileType(fd int) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, os.NewSyscallError("fstat", err)
	}
	return st.Mode & unix.S_IFMT, nil
}

// FsTypeFD is FsType of an open descriptor (fstatfs(2)).
func FsTypeFD(fd int) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, os.NewSyscallError("fstatfs", err)
	}
	return int64(st.Type), nil
}
