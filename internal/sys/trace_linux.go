package sys

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// tracefsMagic is TRACEFS_MAGIC from include/uapi/linux/magic.h.
const tracefsMagic = 0x74726163

// IsTracefs reports whether dir is the root of a mounted tracefs.
func IsTracefs(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, os.NewSyscallError("statfs", err)
	}
	return st.Type == tracefsMagic, nil
}

// MountTracefs mounts tracefs on dir, as `mount -t tracefs nodev dir` does.
// It needs CAP_SYS_ADMIN.
func MountTracefs(dir string) error {
	return os.NewSyscallError("mount", unix.Mount("nodev", dir, "tracefs", 0, ""))
}

// Writable reports whether the caller may create entries in dir
// (access(2) with W_OK, which honours capabilities as the kernel will).
func Writable(dir string) error {
	return os.NewSyscallError("access", unix.Access(dir, unix.W_OK))
}

// OpenPollable opens name read-only and non-blocking and hands it to the Go
// runtime's poller. tracefs files stat as regular files, so os.Open would do
// blocking reads that Close cannot interrupt; trace_pipe does support poll(2),
// so with a non-blocking descriptor a blocked Read returns when the file is
// closed or its read deadline passes.
func OpenPollable(name string) (*os.File, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// MonoToRealtime measures CLOCK_REALTIME − CLOCK_MONOTONIC. It takes samples
// monotonic, realtime, monotonic and keeps the tightest bracket: the returned
// bound is half of that bracket, the most the offset can be wrong by at the
// moment of measurement (the clocks drift apart later only if NTP steps or
// slews the wall clock).
func MonoToRealtime(samples int) (offset, bound time.Duration, err error) {
	best := time.Duration(-1)
	for i := 0; i < samples; i++ {
		var m1, r, m2 unix.Timespec
		if err := readClocks(&m1, &r, &m2); err != nil {
			return 0, 0, err
		}
		width := time.Duration(m2.Nano() - m1.Nano())
		if best < 0 || width < best {
			best = width
			mid := m1.Nano() + (m2.Nano()-m1.Nano())/2
			offset = time.Duration(r.Nano() - mid)
		}
	}
	return offset, best/2 + 1, nil
}

func readClocks(m1, r, m2 *unix.Timespec) error {
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, m1); err != nil {
		return os.NewSyscallError("clock_gettime", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, r); err != nil {
		return os.NewSyscallError("clock_gettime", err)
	}
	return os.NewSyscallError("clock_gettime", unix.ClockGettime(unix.CLOCK_MONOTONIC, m2))
}
