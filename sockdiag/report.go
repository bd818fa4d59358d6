package sockdiag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Report is one look at the watched ports as `teardown watch` shows it:
// the latest sample and the alarms of the series that ends with it.
type Report struct {
	Ports  []uint16
	Sample Sample
	Alarms []Alarm
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
	Alarms    []Alarm                `json:"alarms"`
}

// MarshalJSON encodes the report as one flat object:
//
//	{"time": "...", "port": 9527, "ports": [9527], "counts": {"LISTEN": 1, "TIME-WAIT": 200},
//	 "listeners": [{"local": "127.0.0.1:9527", "queue": 0, "backlog": 4096}],
//	 "orphans": 0, "alarms": [{"kind": "...", "message": "..."}]}
func (r Report) MarshalJSON() ([]byte, error) {
	j := reportJSON{
		Time:      r.Sample.At.Format(time.RFC3339Nano),
		Ports:     nonNil(r.Ports),
		Counts:    r.Sample.Counts,
		Listeners: nonNil(r.Sample.Listeners),
		Orphans:   r.Sample.Orphans,
		Alarms:    nonNil(r.Alarms),
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
	for _, a := range r.Alarms {
		lines = append(lines, "  ALARM "+a.String())
	}
	return lines
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
