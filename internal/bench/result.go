package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// Label is the name of a close strategy in tables.
func Label(close string) string {
	if close == CloseGraceful {
		return "graceful-goroutine"
	}
	return close
}

// Result is one workload against one server.
type Result struct {
	Workload string `json:"workload"`
	Server   string `json:"server"`
	Conns    uint64 `json:"conns"` // accepted by the server during the run

	ConnPerSec float64 `json:"conn_per_s,omitempty"`
	CPUPerConn float64 `json:"cpu_us_per_conn,omitempty"` // server user+system CPU
	CloseP50   float64 `json:"close_p50_us,omitempty"`    // handler return → descriptor closed
	CloseP99   float64 `json:"close_p99_us,omitempty"`

	Complete   int64 `json:"complete"`
	Lost       int64 `json:"lost"` // truncated: connected, reply incomplete
	ResetAfter int64 `json:"reset_after_complete"`
	Refused    int64 `json:"refused"` // never connected (shutdown)
	Aborted    int   `json:"aborted"` // reset by Shutdown at its deadline

	Held              int64   `json:"held,omitempty"` // lingering at the server (hold)
	KiBPerConn        float64 `json:"rss_kib_per_conn,omitempty"`
	GoKiBPerConn      float64 `json:"go_kib_per_conn,omitempty"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn,omitempty"`
	Threads           int64   `json:"threads,omitempty"`                // server's OS threads while holding
	BurstKiBPerConn   float64 `json:"burst_rss_kib_per_conn,omitempty"` // hold again, 256 handshakes at once, fresh server
	BurstThreads      int64   `json:"burst_threads,omitempty"`
	// What the burst allocated per connection, garbage included: with no GC
	// during the burst (the heap goal counts the binary's globals), this is
	// what RSS read from outside grows by.
	BurstAllocKiBPerConn float64 `json:"burst_alloc_kib_per_conn,omitempty"`

	// Ratio holds each figure divided by plain's in the same workload.
	Ratio map[string]float64 `json:"ratio_to_plain,omitempty"`
}

func (r *Result) tally(t *tally) {
	r.Complete, r.Lost = t.complete.Load(), t.lost.Load()
	r.ResetAfter, r.Refused = t.resetAfter.Load(), t.refused.Load()
}

// brief is the progress line's summary.
func (r Result) brief() string {
	switch r.Workload {
	case Hold:
		return fmt.Sprintf("held %d, %.2f KiB RSS/conn, %d threads; burst %.2f KiB RSS/conn, %.2f KiB allocated/conn, %d threads",
			r.Held, r.KiBPerConn, r.Threads, r.BurstKiBPerConn, r.BurstAllocKiBPerConn, r.BurstThreads)
	case Churn, ChurnPaired:
		return fmt.Sprintf("%.0f conn/s, %.1f µs CPU/conn", r.ConnPerSec, r.CPUPerConn)
	}
	return fmt.Sprintf("%d complete, %d lost", r.Complete, r.Lost)
}

// figures are the numbers a ratio is taken of.
func (r Result) figures() map[string]float64 {
	return map[string]float64{
		"conn_per_s": r.ConnPerSec, "cpu_us_per_conn": r.CPUPerConn,
		"close_p50_us": r.CloseP50, "close_p99_us": r.CloseP99,
		"lost": float64(r.Lost), "rss_kib_per_conn": r.KiBPerConn,
		"go_kib_per_conn": r.GoKiBPerConn, "goroutines_per_conn": r.GoroutinesPerConn,
		"burst_rss_kib_per_conn": r.BurstKiBPerConn,
	}
}

// ratios divides every figure by plain's in the same workload, where plain
// is non-zero (a ratio to zero means nothing).
func ratios(rs []Result) {
	plain := map[string]map[string]float64{}
	for _, r := range rs {
		if r.Server == ClosePlain {
			plain[r.Workload] = r.figures()
		}
	}
	for i := range rs {
		ref := plain[rs[i].Workload]
		for k, v := range rs[i].figures() {
			if p := ref[k]; p != 0 && !math.IsNaN(v) {
				if rs[i].Ratio == nil {
					rs[i].Ratio = map[string]float64{}
				}
				rs[i].Ratio[k] = v / p
			}
		}
	}
}

// WriteJSON writes the results as one indented JSON array.
func WriteJSON(w io.Writer, rs []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rs)
}

// WriteTable writes one table per workload, in 80 columns (a legend
// first, so that the headers can be short).
func WriteTable(w io.Writer, rs []Result) error {
	fmt.Fprint(w, legend)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	last := ""
	for _, r := range rs {
		if r.Workload != last {
			if last != "" {
				fmt.Fprintln(tw)
			}
			last = r.Workload
			fmt.Fprintf(tw, "%s\t%s\n", r.Workload, header[r.Workload])
		}
		fmt.Fprintf(tw, "%s\t%s\n", r.Server, r.row())
	}
	return tw.Flush()
}

// legend explains the short headers of the tables below it.
const legend = `× = ratio to plain in the same run; cpu µs = server CPU per connection;
p50, p99 µs = close latency (handler return to descriptor closed);
late RST = reset after the complete reply. hold: KiB/c = RSS KiB per held
connection, Go/c = Go heap KiB, g/c = goroutines, thr = threads; burst/c =
RSS KiB after 10,000 connects (256 at once), alloc/c = KiB allocated.

`

var header = map[string]string{
	Churn:       "conn/s\t×\tcpu µs\t×\tp50 µs\t×\tp99 µs\t×\tlost\t",
	ChurnPaired: "conn/s\t×\tcpu µs\t×\tp50 µs\t×\tp99 µs\t×\tlost\t",
	Pipelined:   "conns\tcomplete\ttruncated\tlate RST\tlost %\t×\t",
	Hold:        "held\tKiB/c\tGo/c\tg/c\tthr\tburst/c\talloc/c\tthr\t",
	Shutdown:    "accepted\tcomplete\tlost\t×\trefused\taborted\t",
}

// row is one server's line. Hold has no ratio: plain holds nothing.
func (r Result) row() string {
	switch r.Workload {
	case Churn, ChurnPaired:
		return fmt.Sprintf("%.0f\t%s\t%.1f\t%s\t%.0f\t%s\t%.0f\t%s\t%d\t", r.ConnPerSec, r.ratio("conn_per_s"),
			r.CPUPerConn, r.ratio("cpu_us_per_conn"), r.CloseP50, r.ratio("close_p50_us"),
			r.CloseP99, r.ratio("close_p99_us"), r.Lost)
	case Pipelined:
		n := r.Complete + r.Lost + r.ResetAfter
		return fmt.Sprintf("%d\t%d\t%d\t%d\t%.1f\t%s\t", n, r.Complete, r.Lost, r.ResetAfter, pct(r.Lost, n), r.ratio("lost"))
	case Hold:
		return fmt.Sprintf("%d\t%.2f\t%.2f\t%.2f\t%d\t%.2f\t%.2f\t%d\t", r.Held, r.KiBPerConn, r.GoKiBPerConn,
			r.GoroutinesPerConn, r.Threads, r.BurstKiBPerConn, r.BurstAllocKiBPerConn, r.BurstThreads)
	}
	return fmt.Sprintf("%d\t%d\t%d\t%s\t%d\t%d\t", r.Conns, r.Complete, r.Lost, r.ratio("lost"), r.Refused, r.Aborted)
}

func (r Result) ratio(k string) string {
	v, ok := r.Ratio[k]
	switch {
	case !ok:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	case v < 1000:
		return fmt.Sprintf("%.0f", v) // three digits are enough for a ratio this far from 1
	}
	return fmt.Sprintf("%.0fk", v/1000) // sleep500 against plain: ×12k, not ×12500
}

func pct(a, n int64) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}
