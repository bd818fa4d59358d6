package explain

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/record"
)

// Config is what `teardown explain` was asked. A nil *Config means the
// defaults: every connection, the text summary, English.
type Config struct {
	Name    string // the file's name as the user gave it ("-" for stdin), printed and in JSON "file"
	Port    uint16 // only connections with this port on either side (0: all)
	Conn    int    // draw this connection's sequence diagram instead of the summary (0: none)
	JSON    bool
	Verbose bool   // a line for every connection, not only those that did not end cleanly
	Lang    string // "en" or "zh"
	Width   int    // columns for the diagram (0: 100)
	Color   bool
	// Report keeps the packets of the connections the summary lists (or
	// of -conn's), at most MaxReport of them, in Summary.Reported: what
	// an HTML report draws.
	Report bool
}

// Summary is what Run found, for the caller (and for tests).
type Summary struct {
	File      record.FileStats
	Truncated bool
	Listed    int // lines a live Stream printed as connections ended (it keeps no Lines)
	Endings   map[string]int
	Conns     int
	Lines     []Diagnosis // with Verbose every connection, else those that did not end cleanly
	Unlisted  int         // lines beyond MaxLines, counted but not kept
	Reported  []*record.Conn
}

// MaxLines bounds the connections the text summary lists (and keeps in
// memory until the end, to print them in order): a capture of a port scan
// has a million refused connections. -json streams them all.
const MaxLines = 10000

// Run reads a pcap or pcapng stream from r and writes the explanation to w.
// A file that ends inside a packet is explained up to that point and says
// so; any other read error is returned.
func Run(r io.Reader, w io.Writer, cfg *Config) (*Summary, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	sum := &Summary{Endings: map[string]int{}}
	var picked *record.Conn
	out := newOutput(w, cfg)
	b := &record.Builder{
		Keep: func(id int) bool { return id == cfg.Conn || cfg.Report && id <= maxKeptID },
		Done: func(c *record.Conn) {
			if c.ID == cfg.Conn {
				picked = c
			}
			if !cfg.matches(c) {
				return
			}
			d := Diagnose(c)
			sum.add(d, cfg.Verbose)
			sum.report(c, &d, cfg)
			out.conn(&d)
		},
	}
	out.start()
	st, err := record.ReadFile(r, func(s *capture.Segment) { b.Add(s) })
	sum.File = st
	if errors.Is(err, record.ErrTruncated) {
		sum.Truncated, err = true, nil
	}
	if err != nil {
		return sum, fmt.Errorf("explain: %s: %w", cfg.Name, err)
	}
	b.Flush()
	if cfg.Conn > 0 && !cfg.JSON {
		return sum, out.diagram(picked, sum)
	}
	return sum, out.finish(sum)
}

// MaxReport bounds the connections an HTML report draws; maxKeptID bounds
// whose packets are kept until their end decides whether they are drawn
// (memory: the packets of at most that many connections at once).
const (
	MaxReport = 200
	maxKeptID = 5000
)

func (s *Summary) report(c *record.Conn, d *Diagnosis, cfg *Config) {
	listed := cfg.Verbose || !d.Orderly() || c.ID == cfg.Conn
	if cfg.Report && c.Timeline != nil && listed && len(s.Reported) < MaxReport && (cfg.Conn == 0 || c.ID == cfg.Conn) {
		s.Reported = append(s.Reported, c)
	}
}

func (cfg *Config) matches(c *record.Conn) bool {
	if cfg.Port == 0 {
		return true
	}
	return c.Sides[0].Addr.Port() == cfg.Port || c.Sides[1].Addr.Port() == cfg.Port
}

func (s *Summary) add(d Diagnosis, verbose bool) {
	s.Conns++
	s.Endings[d.Ending]++
	switch {
	case !verbose && d.Orderly():
	case len(s.Lines) < MaxLines:
		s.Lines = append(s.Lines, d)
	default:
		s.Unlisted++
	}
}

// Orderly reports whether the connection closed with FINs only, lost
// nothing and needed no retransmitted FIN: the connections the summary
// does not list without -v.
func (d *Diagnosis) Orderly() bool {
	if d.Ending != Clean && d.Ending != HalfClose && d.Ending != Simultaneous {
		return false
	}
	return !slices.ContainsFunc(d.Flags, func(f string) bool { return f != FlagTimeWaitClient && f != FlagTimeWaitServer })
}
