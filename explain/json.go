package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/tcpteardown/teardown/record"
)

// jsonOut streams the document of docs/json-schema.md ("explain"): each
// connection is written when it ends, so memory does not grow with the
// file.
type jsonOut struct {
	w    io.Writer
	lang string
	n    int
	err  error
}

type pair struct {
	Client int64 `json:"client"`
	Server int64 `json:"server"`
}

type statePair struct {
	Client string `json:"client"`
	Server string `json:"server"`
}

// jsonConn is one element of "connections".
type jsonConn struct {
	ID              int        `json:"id"`
	Client          string     `json:"client"`
	Server          string     `json:"server"`
	Ending          string     `json:"ending"`
	State           *statePair `json:"state,omitempty"`
	Flags           []string   `json:"flags"`
	Closer          string     `json:"closer"`
	DurationMs      float64    `json:"duration_ms"`
	Bytes           pair       `json:"bytes"`
	DataLost        *pair      `json:"data_lost,omitempty"`
	Retransmissions pair       `json:"retransmissions"`
	ZeroWindows     pair       `json:"zero_windows"`
	Packets         int        `json:"packets"`
	Why             string     `json:"why"`
}

func (j *jsonOut) start(name string) {
	b, _ := json.Marshal(name)
	j.write(fmt.Sprintf("{\"file\": %s,\n\"connections\": [", b))
}

func (j *jsonOut) conn(d *Diagnosis) {
	jc := jsonConn{ID: d.ID, Client: d.Client, Server: d.Server, Ending: d.Ending, Flags: d.Flags,
		Closer: closerName(d.Closer), DurationMs: math.Round(float64(d.Duration)/1e3) / 1e3,
		Bytes:           pair{d.Bytes[record.Client], d.Bytes[record.Server]},
		Retransmissions: pair{int64(d.Retrans[0]), int64(d.Retrans[1])},
		ZeroWindows:     pair{int64(d.ZeroWins[0]), int64(d.ZeroWins[1])},
		Packets:         d.Packets, Why: d.Why(j.lang)}
	if jc.Flags == nil {
		jc.Flags = []string{}
	}
	if d.Ending == Open {
		jc.State = &statePair{d.State[0].String(), d.State[1].String()}
	}
	if d.Lost[0]+d.Lost[1] > 0 {
		jc.DataLost = &pair{d.Lost[0], d.Lost[1]}
	}
	b, err := json.Marshal(jc)
	if err != nil && j.err == nil {
		j.err = err
	}
	sep := "\n"
	if j.n > 0 {
		sep = ",\n"
	}
	j.n++
	j.write(sep + string(b))
}

func (j *jsonOut) finish(s *Summary) error {
	counts, _ := json.Marshal(s.Endings)
	j.write(fmt.Sprintf("\n],\n\"packets\": %d, \"tcp_packets\": %d, \"undecoded\": %d, \"format\": %q, \"truncated\": %t, \"endings\": %s}\n",
		s.File.Packets, s.File.TCP, s.File.Undecoded, s.File.Format, s.Truncated, counts))
	return j.err
}

func (j *jsonOut) write(s string) {
	if j.err == nil {
		_, j.err = io.WriteString(j.w, s)
	}
}
