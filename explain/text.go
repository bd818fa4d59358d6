package explain

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/record"
)

// output writes one of the three forms: the summary, the JSON document
// (streamed as connections end) or one connection's diagram.
type output struct {
	w    io.Writer
	cfg  *Config
	json *jsonOut
	err  error
}

func newOutput(w io.Writer, cfg *Config) *output {
	o := &output{w: w, cfg: cfg}
	if cfg.JSON {
		o.json = &jsonOut{w: w, lang: cfg.Lang}
	}
	return o
}

func (o *output) start() {
	if o.json != nil {
		o.json.start(o.cfg.Name)
	}
}

func (o *output) conn(d *Diagnosis) {
	if o.json != nil && (o.cfg.Conn == 0 || d.ID == o.cfg.Conn) {
		o.json.conn(d)
	}
}

func (o *output) finish(s *Summary) error {
	if o.json != nil {
		return o.json.finish(s)
	}
	zh := o.cfg.Lang == "zh"
	o.printf("%s\n", o.headline(s, zh))
	if s.Truncated {
		o.printf("%s\n", pick(zh, "note: the file ends inside a packet (truncated); everything before it is explained", "注意：文件在某个报文中间截断；之前的内容照常分析"))
	}
	if s.Conns > 0 {
		o.printf("  %s\n", endingCounts(s.Endings))
	}
	slices.SortFunc(s.Lines, func(a, b Diagnosis) int { return a.ID - b.ID })
	for i := range s.Lines {
		o.line(&s.Lines[i])
	}
	if s.Unlisted > 0 {
		o.printf("%s\n", pick(zh, fmt.Sprintf("(%d more not listed: narrow with -port, or use -json)", s.Unlisted), fmt.Sprintf("（另有 %d 个未列出：用 -port 缩小范围，或用 -json）", s.Unlisted)))
	}
	listed := len(s.Lines) + s.Listed
	if hidden := s.Conns - listed - s.Unlisted; hidden > 0 && listed > 0 {
		o.printf("%s\n", pick(zh, fmt.Sprintf("(%d connections closed cleanly: -v lists them)", hidden), fmt.Sprintf("（另有 %d 个连接正常关闭：-v 列出）", hidden)))
	}
	return o.err
}

func (o *output) headline(s *Summary, zh bool) string {
	name := o.cfg.Name
	if o.cfg.Port != 0 {
		name += fmt.Sprintf(" port %d", o.cfg.Port)
	}
	if zh {
		return fmt.Sprintf("%s：%d 个报文（%s），%d 个 TCP 连接", name, s.File.Packets, s.File.Format, s.Conns)
	}
	return fmt.Sprintf("%s: %d packets (%s), %d TCP %s", name, s.File.Packets, s.File.Format, s.Conns, plural(s.Conns, "connection"))
}

// endingCounts is "3 clean · 1 abort", in the order of Endings.
func endingCounts(m map[string]int) string {
	var parts []string
	for _, e := range Endings {
		if m[e] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[e], e))
		}
	}
	return strings.Join(parts, " · ")
}

// line is one connection: its identity, ending, closer, duration, bytes,
// flags, then why.
func (o *output) line(d *Diagnosis) {
	ending := d.Ending
	if d.Ending == Open {
		ending += fmt.Sprintf(" (client %s, server %s)", d.State[0], d.State[1])
	}
	o.printf("#%d  %s → %s  %s  closer %s  %s  bytes %d/%d", d.ID, d.Client, d.Server, ending,
		closerName(d.Closer), duration(d.Duration), d.Bytes[0], d.Bytes[1])
	if len(d.Flags) > 0 {
		o.printf("  [%s]", d.flagText())
	}
	o.printf("\n    %s\n", d.Why(o.cfg.Lang))
}

// flagText joins the flags, with the lost byte count after data-lost.
func (d *Diagnosis) flagText() string {
	fs := slices.Clone(d.Flags)
	for i, f := range fs {
		if f == FlagDataLost {
			fs[i] = fmt.Sprintf("%s %d bytes", f, d.Lost[0]+d.Lost[1])
		}
	}
	return strings.Join(fs, ", ")
}

func closerName(i int) string {
	switch i {
	case record.Client:
		return "client"
	case record.Server:
		return "server"
	}
	return "none"
}

// duration prints "0.412 ms", "12.3 ms", "2.05 s".
func duration(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func (o *output) printf(format string, a ...any) {
	if o.err == nil {
		_, o.err = fmt.Fprintf(o.w, format, a...)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
