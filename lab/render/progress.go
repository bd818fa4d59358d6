package render

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progressWidth keeps the progress line inside an 80-column terminal.
const progressWidth = 79

// Progress writes one progress line: done of total scenarios finished,
// current the one running ("" when finished). On a terminal the line is
// rewritten in place (\r, then erase to end of line) and ended when done
// reaches total; to a pipe or file each call is a line of its own, so logs
// stay readable.
func Progress(w io.Writer, done, total int, current string) {
	s := progressLine(done, total, current)
	if !isTerminal(w) {
		fmt.Fprintln(w, s)
		return
	}
	end := ""
	if done >= total {
		end = "\n"
	}
	fmt.Fprint(w, "\r"+s+"\x1b[K"+end)
}

// progressLine is "[#######.............]  7/26 seed-close".
func progressLine(done, total int, current string) string {
	const bar = 20
	filled := 0
	if total > 0 {
		filled = min(max(done, 0), total) * bar / total
	}
	s := fmt.Sprintf("[%s%s] %*d/%d", strings.Repeat("#", filled), strings.Repeat(".", bar-filled),
		len(fmt.Sprint(total)), done, total)
	if current != "" {
		s += " " + sanitize(current)
	}
	return truncate(s, progressWidth)
}

// isTerminal reports whether w is a character device (a terminal). It
// asks the file's mode rather than the tty driver, which keeps the package
// free of syscalls; the worst case, /dev/null, does not mind a \r.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
