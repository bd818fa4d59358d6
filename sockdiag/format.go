package sockdiag

import (
	"fmt"
	"strings"
	"time"
)

// String formats s like a line of `ss -tanoe`, with the full state name:
//
//	TIME-WAIT 0 0 127.0.0.1:56238 127.0.0.1:9527 timer:(timewait,59sec,0)
//	ESTABLISHED 0 0 127.0.0.1:9527 127.0.0.1:56240 timer:(keepalive,14sec,0) ino:4711 sk:2a <->
func (s Socket) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %d %s %s", s.State, s.RecvQ, s.SendQ, s.Local, s.Remote)
	if s.Timer != TimerNone {
		fmt.Fprintf(&b, " timer:(%s,%s,%d)", s.Timer, FormatExpiry(s.Expires), s.Retrans)
	}
	if s.Inode != 0 {
		fmt.Fprintf(&b, " ino:%d", s.Inode)
	}
	if s.Cookie != 0 {
		fmt.Fprintf(&b, " sk:%x", s.Cookie)
	}
	if s.Info != nil {
		fmt.Fprintf(&b, " %s", s.Shutdown)
	}
	if s.Orphan {
		b.WriteString(" orphan")
	}
	return b.String()
}

// FormatExpiry writes a timer's remaining time the way ss does: "200ms",
// "59sec", "1min5sec".
func FormatExpiry(d time.Duration) string {
	ms := d.Milliseconds()
	switch {
	case ms < 1000:
		return fmt.Sprintf("%dms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%dsec", ms/1000)
	}
	if sec := ms % 60_000 / 1000; sec != 0 {
		return fmt.Sprintf("%dmin%dsec", ms/60_000, sec)
	}
	return fmt.Sprintf("%dmin", ms/60_000)
}
