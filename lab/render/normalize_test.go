package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/render"
)

// rerun changes what differs between two runs of the same scenario on a
// real kernel: every time (stretched and shifted), the client's calls
// returning 0.2 ms later (so they interleave differently with the server's
// calls and with the wire), durations of long calls by 30 ms, measured
// times in computed texts, the ports, the socket timers' expiries and the
// total run time.
func rerun(r lab.Result) lab.Result {
	ports := strings.NewReplacer("40713", "33001", "51234", "45678", "40000", "40100", "40001", "40002", "5353", "5454")
	r.Duration += 123 * time.Millisecond
	r.Verdicts = append([]lab.Verdict(nil), r.Verdicts...)
	for i := range r.Verdicts {
		r.Verdicts[i].Observed = strings.ReplaceAll(r.Verdicts[i].Observed, "2.0 s", "2.04 s")
	}
	r.Events = append([]lab.Event(nil), r.Events...)
	for i, e := range r.Events {
		e.T = e.T*13/10 + 7*time.Microsecond
		switch {
		case e.Call != nil:
			c := *e.Call
			if c.Actor == "client" {
				e.T += 200 * time.Microsecond
			}
			c.Args = ports.Replace(c.Args)
			if c.Dur >= 50*time.Millisecond {
				c.Dur += 30 * time.Millisecond
			} else {
				c.Dur /= 2
			}
			e.Call = &c
		case e.Snapshot != nil:
			s := lab.Snapshot{Rows: append([]lab.SockRow(nil), e.Snapshot.Rows...)}
			for j := range s.Rows {
				s.Rows[j].Expiry -= 1234
				s.Rows[j].Local, s.Rows[j].Remote = ports.Replace(s.Rows[j].Local), ports.Replace(s.Rows[j].Remote)
			}
			e.Snapshot = &s
		case e.Packet != nil:
			p := *e.Packet
			p.Win += 100
			p.From, p.To, p.Info = ports.Replace(p.From), ports.Replace(p.To), ports.Replace(p.Info)
			e.Packet = &p
		}
		r.Events[i] = e
	}
	return r
}

func TestNormalizeTimes(t *testing.T) {
	for name, r := range all() {
		t.Run(name, func(t *testing.T) {
			for _, lang := range []string{"en", "zh"} {
				o := render.Options{NormalizeTimes: true, Lang: lang}
				if diff := cmp.Diff(draw(t, r, o), draw(t, rerun(r), o)); diff != "" {
					t.Errorf("normalised %s output depends on the run (-first +second):\n%s", lang, diff)
				}
			}
			if len(r.Events) > 0 && draw(t, r, render.Options{}) == draw(t, rerun(r), render.Options{}) {
				t.Errorf("without NormalizeTimes the two runs draw the same: the test proves nothing")
			}
		})
	}
	rs, again := values(all()), values(all())
	for i := range again {
		again[i] = rerun(again[i])
	}
	o := render.Options{NormalizeTimes: true}
	if diff := cmp.Diff(summary(t, rs, o), summary(t, again, o)); diff != "" {
		t.Errorf("normalised summary depends on the run (-first +second):\n%s", diff)
	}
}
