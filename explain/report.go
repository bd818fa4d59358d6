package explain

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/record"
)

// Results turns the connections a run kept for a report (Config.Report)
// into the lab's results, one per connection, so that the lab's renderers
// draw them: the diagram, and the diagnosis as the section's notes. badge
// labels each with its ending (report.Options.Badge): green when the
// connection closed in order, red otherwise.
func Results(conns []*record.Conn, lang string) (results []lab.Result, badge func(lab.Result) (kind, text string)) {
	endings := map[string]string{}
	for _, c := range conns {
		d := Diagnose(c)
		notes := []string{d.Why(lang)}
		if len(d.Flags) > 0 {
			notes = append(notes, "flags: "+strings.Join(d.Flags, ", "))
		}
		name := fmt.Sprintf("conn-%d", d.ID)
		endings[name] = d.Ending
		results = append(results, lab.Result{
			Name:   name,
			Title:  d.Client + " → " + d.Server,
			Passed: d.Orderly(),
			Actors: laneNames[:],
			Events: Events(c),
			Notes:  notes,
		})
	}
	badge = func(r lab.Result) (string, string) {
		if r.Passed {
			return "pass", endings[r.Name]
		}
		return "fail", endings[r.Name]
	}
	return results, badge
}
