package sys

import "golang.org/x/sys/unix"

// TermWidth returns the column count of the terminal on fd, or 0 when fd is
// not a terminal.
func TermWidth(fd int) int {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
