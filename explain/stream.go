package explain

import (
	"io"

	"github.com/tcpteardown/teardown/record"
)

// Stream diagnoses the connections a record.Builder hands over (Keep and
// Done are the Builder's) and prints them as Run does, for callers that
// feed the Builder themselves: `teardown capture -explain`, live or from
// a file.
type Stream struct {
	cfg    *Config
	out    *output
	sum    *Summary
	live   bool
	picked *record.Conn
}

// NewStream starts the output on w. When live, each connection the summary
// lists is printed as the Builder hands it over, and Finish prints only the
// headline and the counts; otherwise Finish prints what Run prints, the
// lines in the order the connections started. Live goes with the text
// summary only, not with cfg.JSON or cfg.Conn.
func NewStream(w io.Writer, cfg *Config, live bool) *Stream {
	s := &Stream{cfg: cfg, out: newOutput(w, cfg), sum: &Summary{Endings: map[string]int{}}, live: live}
	s.out.start()
	return s
}

// Keep selects the connection whose packets the diagram needs.
func (s *Stream) Keep(id int) bool { return id == s.cfg.Conn }

// Done diagnoses one connection (and, live, prints its line if listed).
func (s *Stream) Done(c *record.Conn) {
	if c.ID == s.cfg.Conn {
		s.picked = c
	}
	if !s.cfg.matches(c) {
		return
	}
	d := Diagnose(c)
	if !s.live {
		s.sum.add(d, s.cfg.Verbose)
		s.out.conn(&d)
		return
	}
	s.sum.Conns++
	s.sum.Endings[d.Ending]++
	if s.cfg.Verbose || !d.Orderly() {
		s.sum.Listed++
		s.out.line(&d)
	}
}

// Finish prints the end of the output: the summary (live: the headline
// and the counts), the end of the JSON document, or the chosen
// connection's diagram. st describes the capture; truncated says it ended
// inside a packet.
func (s *Stream) Finish(st record.FileStats, truncated bool) (*Summary, error) {
	s.sum.File, s.sum.Truncated = st, truncated
	if s.cfg.Conn > 0 && !s.cfg.JSON {
		return s.sum, s.out.diagram(s.picked, s.sum)
	}
	return s.sum, s.out.finish(s.sum)
}
