package sockdiag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Report is one look at the watched ports as `teardown watch` shows it:
// the latest sample and the alarms of the series that ends with it.
type Report struct {
	Ports  []uint16 // empty: all ports
	Sample Sample
	Alarms []Alarm
	Rows   []Row // with watch -sockets
}

// Row is one socket as watch -sockets shows it: the table's row, how long
// it has been in CLOSE-WAIT (0 otherwise or when unknown), and who holds it
// (with watch -p).
type Row struct {
	Socket
	Age    time.Duration
	Owners []Owner
}

// String is the ss-style row, then the age and the owners.
func (r Row) String() string {
	s := r.Socket.String()
	if r.Age > 0 {
		s += " age:" + r.Age.Round(time.Second).String()
	}
	if o := FormatOwners(r.Owners); o != "" {
		s += " " + o
	}
	return s
}

// rowJSON is a row of watch -json -sockets.
type rowJSON struct {
	State   string  `json:"state"`
	Local   string  `json:"local"`
	Remote  string  `json:"remote"`
	RecvQ   uint32  `json:"recv_q"`
	SendQ   uint32  `json:"send_q"`
	Timer   string  `json:"timer,omitempty"`
	Expires float64 `json:"expires_seconds,omitempty"`
	Inode   uint32  `json:"inode,omitempty"`
	Orphan  bool    `json:"orphan,omitempty"`
	Age     float64 `json:"age_seconds,omitempty"`
	Owners  []Owner `json:"owners,omitempty"`
}

func (r Row) json() rowJSON {
	j := rowJSON{State: r.State.String(), Local: r.Local.String(), Remote: r.Remote.String(), RecvQ: r.RecvQ,
		SendQ: r.SendQ, Inode: r.Inode, Orphan: r.Orphan, Age: r.Age.Seconds(), Owners: r.Owners}
	if r.Timer != TimerNone {
		j.Timer, j.Expires = r.Timer.String(), r.Expires.Seconds()
	}
	return j
}

// reportJSON is the documented shape of `teardown watch -json`. "port" is
// there only when exactly one port is watched (a single number for several
// ports would mislead); "ports" is always there.
type reportJSON struct {
	Time      string                 `json:"time"`
	Port      *uint16                `json:"port,omitempty"`
	Ports     []uint16               `json:"ports"`
	Counts    map[tcpstate.State]int `json:"counts"`
	Listeners []Listener             `json:"listeners"`
	Orphans   int                    `json:"orphans"`
	// OldestCloseWait is the age of the oldest CLOSE-WAIT socket in
	// seconds (0: none, or -once, where ages are unknown).
	OldestCloseWait float64   `json:"oldest_close_wait_seconds"`
	Alarms          []Alarm   `json:"alarms"`
	Sockets         []rowJSON `json:"sockets,omitempty"`
}

// MarshalJSON encodes the report as one flat object:
//
//	{"time": "...", "port": 9527, "ports": [9527], "counts": {"LISTEN": 1, "TIME-WAIT": 200},
//	 "listeners": [{"local": "127.0.0.1:9527", "queue": 0, "backlog": 4096}],
//	 "orphans": 0, "alarms": [{"kind": "...", "message": "..."}]}
func (r Report) MarshalJSON() ([]byte, error) {
	j := reportJSON{
		Time:            r.Sample.At.Format(time.RFC3339Nano),
		Ports:           nonNil(r.Ports),
		Counts:          r.Sample.Counts,
		Listeners:       nonNil(r.Sample.Listeners),
		Orphans:         r.Sample.Orphans,
		Alarms:          nonNil(r.Alarms),
		OldestCloseWait: r.Sample.OldestCloseWait().Seconds(),
	}
	for _, row := range r.Rows {
		j.Sockets = append(j.Sockets, row.json())
	}
	if len(r.Ports) == 1 {
		j.Port = &r.Ports[0]
	}
	if j.Counts == nil {
		j.Counts = map[tcpstate.State]int{}
	}
	return json.Marshal(j)
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Lines renders the report for people, one line per fact:
//
//	20:31:05 port 9527: 3 sockets  LISTEN 1  CLOSE-WAIT 2
//	  LISTEN 127.0.0.1:9527 accept queue 0/4096
//	  ALARM close-wait-growing: CLOSE-WAIT grew 0 → 1 → 2 → 3 over ...
func (r Report) Lines() []string {
	lines := []string{r.headline()}
	for _, l := range r.Sample.Listeners {
		lines = append(lines, fmt.Sprintf("  LISTEN %s accept queue %d/%d", l.Local, l.Queued, l.Backlog))
	}
	for _, row := range r.Rows {
		lines = append(lines, "  "+row.String())
	}
	for _, a := range r.Alarms {
		lines = append(lines, wrap("  "+a.Label()+" "+a.String(), alarmWidth, "      ")...)
	}
	return lines
}

// alarmWidth is the width alarm lines are wrapped to: a terminal's 80
// columns, and what a mail or a chat message shows without scrolling.
const alarmWidth = 80

// wrap breaks s at spaces into lines of at most width runes; lines after
// the first start with indent. A word longer than a line stays whole.
func wrap(s string, width int, indent string) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
			if len(lines) == 0 {
				line = s[:strings.Index(s, w)] + w // keep the first line's indent
			}
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = indent + w
		}
	}
	return append(lines, line)
}

func (r Report) headline() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:", r.Sample.At.Format("15:04:05"), portWord(r.Ports))
	total := 0
	for _, n := range r.Sample.Counts {
		total += n
	}
	if total == 0 {
		b.WriteString(" no sockets")
		return b.String()
	}
	fmt.Fprintf(&b, " %d socket%s", total, plural(total))
	for _, s := range tcpstate.States() { // kernel order: LISTEN after the live states
		if n := r.Sample.Counts[s]; n > 0 {
			fmt.Fprintf(&b, "  %s %d", s, n)
		}
	}
	if r.Sample.Orphans > 0 {
		fmt.Fprintf(&b, "  (orphans %d)", r.Sample.Orphans)
	}
	return b.String()
}

func portWord(ports []uint16) string {
	if len(ports) == 0 {
		return "all ports"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	if len(ports) == 1 {
		return "port " + s[0]
	}
	return "ports " + strings.Join(s, ",")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteText writes Lines to w.
func (r Report) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join(r.Lines(), "\n")+"\n")
	return err
}
