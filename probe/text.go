package probe

import (
	"fmt"
	"time"
)

// Text is the check's entry in the report card: the verdict line (verdict,
// name, duration) and the evidence under it, each ending in a newline.
func (c *Check) Text() string {
	d := (time.Duration(c.DurationMs*1000) * time.Microsecond).Round(time.Millisecond)
	return fmt.Sprintf("%-5s %-18s %s\n      %s\n", c.Verdict, c.Name, d, c.Evidence)
}

// Summary is the report card's last line: the count of each verdict.
func (r *Report) Summary() string {
	n := map[Verdict]int{}
	for _, c := range r.Checks {
		n[c.Verdict]++
	}
	return fmt.Sprintf("%s: %d ok, %d risk, %d fail, %d n/a", r.Target, n[OK], n[Risk], n[Fail], n[NA])
}
