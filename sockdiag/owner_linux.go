package sockdiag

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func owners() (map[uint32][]Owner, error) {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("sockdiag: owners: %w", err)
	}
	m := map[uint32][]Owner{}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		addOwners(m, pid)
	}
	return m, nil
}

func addOwners(m map[uint32][]Owner, pid int) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	comm := ""
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]"), 10, 32)
		n, err2 := strconv.Atoi(fd.Name())
		if err != nil || err2 != nil {
			continue
		}
		if comm == "" {
			comm = readComm(pid)
		}
		m[uint32(ino)] = append(m[uint32(ino)], Owner{Comm: comm, PID: pid, FD: n})
	}
}

func readComm(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
