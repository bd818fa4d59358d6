package sockdiag

import (
	"fmt"
	"strings"
)

// Owner is a process holding a socket: like an entry of `ss -p`'s
// users:(("nginx",pid=812,fd=6)). A socket may have several (a fork
// shares its descriptors).
type Owner struct {
	Comm string `json:"comm"`
	PID  int    `json:"pid"`
	FD   int    `json:"fd"`
}

func (o Owner) String() string { return fmt.Sprintf("%q,pid=%d,fd=%d", o.Comm, o.PID, o.FD) }

// FormatOwners writes owners as ss -p does: users:(("a",pid=1,fd=3),…).
func FormatOwners(owners []Owner) string {
	if len(owners) == 0 {
		return ""
	}
	s := make([]string, len(owners))
	for i, o := range owners {
		s[i] = "(" + o.String() + ")"
	}
	return "users:(" + strings.Join(s, ",") + ")"
}

// Owners maps socket inodes to the processes that hold them, by reading
// every /proc/PID/fd (as ss -p does): a socket descriptor reads as a link
// to "socket:[INODE]". Inodes are unique across network namespaces, so the
// map serves any namespace's rows. Processes that exit while being read, or
// whose descriptors we may not read, are skipped.
func Owners() (map[uint32][]Owner, error) { return owners() }
