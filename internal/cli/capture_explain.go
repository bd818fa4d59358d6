package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/explain"
	"github.com/tcpteardown/teardown/record"
)

// capture -explain: each captured segment goes to a record.Builder; when
// it hands a connection over, explain diagnoses it and its verdict line is
// printed (those that did not end cleanly; -v: all), the lines of
// `teardown explain`. At the end (Ctrl-C, -c N) come the counts per ending.

// explainLinger is how long a live capture waits after a finished
// connection's last packet before it gives the verdict. A final FIN that
// comes again because the last ACK was lost is resent after an RTO of at
// least 200 ms, doubling (TCP_RTO_MIN, include/net/tcp.h); the wait counts
// from the newest packet of the connection, so 2 s keep the first four
// retries (gaps of 0.2, 0.4, 0.8 and 1.6 s) with their connection, and
// last-ack-lost shows after the first, while the line still comes as the
// user watches. A file (-r) uses record.DefaultLinger, as teardown explain.
const explainLinger = 2 * time.Second

// liveExplain is the -explain state of a live capture.
type liveExplain struct {
	rec    *record.Builder
	stream *explain.Stream
	name   string
}

func newLiveExplain(env *Env, o *captureOpts, iface string) *liveExplain {
	name := iface
	if len(o.ports) > 0 {
		name += " port " + o.ports.String()
	}
	if o.expr != nil {
		name += " (" + o.expr.String() + ")"
	}
	cfg := &explain.Config{Name: name, Verbose: o.verbose, Lang: "en"}
	st := explain.NewStream(env.Stdout, cfg, true)
	return &liveExplain{rec: &record.Builder{Done: st.Done, Linger: explainLinger}, stream: st, name: name}
}

// finish gives the verdicts of the connections still open and the counts.
func (l *liveExplain) finish(packets uint64) error {
	l.rec.Flush()
	_, err := l.stream.Finish(record.FileStats{Packets: int(packets), Format: "live"}, false)
	if err != nil {
		return fmt.Errorf("capture: print: %w", err)
	}
	return nil
}

// runReadExplain is capture -r FILE -explain: the file's connections as
// `teardown explain FILE` tells them, through the same Stream; -port keeps
// the connections with one of those ports on either side.
func runReadExplain(ctx context.Context, env *Env, o *captureOpts) error {
	if o.expr != nil {
		return Usagef("capture: -r with -explain takes -port, not a filter expression (%s)", o.expr)
	}
	f, err := os.Open(o.read)
	if err != nil {
		return fmt.Errorf("capture: -r: %w", err)
	}
	defer f.Close()
	cfg := &explain.Config{Name: o.read, Verbose: o.verbose, Lang: "en"}
	if len(o.ports) == 1 {
		cfg.Port = o.ports[0] // the headline names it, as explain -port does
	} else if len(o.ports) > 1 {
		cfg.Name += " port " + o.ports.String()
	}
	st := explain.NewStream(env.Stdout, cfg, false)
	b := &record.Builder{Done: func(c *record.Conn) {
		if len(o.ports) == 0 || slices.ContainsFunc(c.Sides[:], func(sd record.Side) bool { return slices.Contains(o.ports, sd.Addr.Port()) }) {
			st.Done(c)
		}
	}}
	n := 0
	fs, err := record.ReadFile(ctxReader{ctx, f}, func(seg *capture.Segment) {
		if o.count == 0 || n < o.count {
			n++
			b.Add(seg)
		}
	})
	truncated := errors.Is(err, record.ErrTruncated)
	if err != nil && !truncated && ctx.Err() == nil {
		return fmt.Errorf("capture: -r %s: %w (want a pcap or pcapng file, e.g. from tcpdump -w)", o.read, err)
	}
	b.Flush() // after Ctrl-C too: what was read is told
	if _, err := st.Finish(fs, truncated); err != nil {
		return fmt.Errorf("capture: print: %w", err)
	}
	return nil
}
