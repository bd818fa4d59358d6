package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// rssKiB reads VmRSS from /proc/self/status.
func rssKiB() int64 { return statusField("VmRSS:") }

// threads reads the process's OS thread count from /proc/self/status.
func threads() int64 { return statusField("Threads:") }

// statusField returns the number after name in /proc/self/status (kB units
// dropped), 0 if absent.
func statusField(name string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
