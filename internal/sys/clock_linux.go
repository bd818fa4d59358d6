package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// Clocks of ClockGettime.
const (
	CLOCK_MONOTONIC = unix.CLOCK_MONOTONIC
	CLOCK_REALTIME  = unix.CLOCK_REALTIME
)

// ClockGettime is clock_gettime(2) in nanoseconds.
func ClockGettime(clock int32) (int64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0, os.NewSyscallError("clock_gettime", err)
	}
	return ts.Nano(), nil
}
