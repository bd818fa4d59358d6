//go:build !linux

package sys

// TermWidth returns 0: the width is unknown here and callers use their default.
func TermWidth(fd int) int { return 0 }
