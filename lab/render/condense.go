package render

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/lab"
)

// verdictOrder is the order verdict kinds are counted and listed in.
var verdictOrder = []string{string(lab.Agrees), string(lab.Differs), string(lab.Partly), string(lab.NotObserved)}

// plural gives the verb form after a count above one ("2 agree").
var plural = map[string]string{string(lab.Agrees): "agree", string(lab.Differs): "differ"}

// condense squeezes a scenario's verdicts into a table cell: "agrees" when
// all agree, "differs C06" when all differ (naming the claims), otherwise
// counts: "2 agree, 1 differs C06". The claims that do not agree are named
// because they are what a reader of the table looks for.
func (o Options) condense(r lab.Result) (string, color) {
	if r.Err != "" {
		return o.tr("error") + ": " + sanitize(r.Err), red
	}
	if why := o.reason(r); why != "" {
		_, word, c := o.outcome(r)
		return o.tr(word) + ": " + why, c
	}
	if len(r.Verdicts) == 0 {
		return o.tr("no verdict"), dim
	}
	kinds, claims := groupVerdicts(r.Verdicts)
	if len(kinds) == 1 {
		k := kinds[0]
		if k == string(lab.Agrees) {
			return o.tr(k), green
		}
		return o.tr(k) + " " + strings.Join(claims[k], " "), verdictColor(lab.VerdictKind(k))
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, o.counted(k, claims[k]))
	}
	return strings.Join(parts, ", "), verdictColor(lab.VerdictKind(worst(kinds)))
}

// groupVerdicts lists the kinds present, in verdictOrder then first-seen
// order, and the claims of each.
func groupVerdicts(vs []lab.Verdict) ([]string, map[string][]string) {
	claims := map[string][]string{}
	var seen []string
	for _, v := range vs {
		k := sanitize(string(v.Verdict))
		if _, ok := claims[k]; !ok {
			seen = append(seen, k)
		}
		claims[k] = append(claims[k], sanitize(v.Claim))
	}
	var kinds []string
	for _, k := range verdictOrder {
		if _, ok := claims[k]; ok {
			kinds = append(kinds, k)
		}
	}
	for _, k := range seen {
		if !contains(verdictOrder, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, claims
}

// counted is "2 agree", "1 differs C06".
func (o Options) counted(kind string, claims []string) string {
	word := kind
	if len(claims) > 1 && plural[kind] != "" {
		word = plural[kind]
	}
	s := fmt.Sprintf("%d %s", len(claims), o.tr(word))
	if kind != string(lab.Agrees) {
		s += " " + strings.Join(claims, " ")
	}
	return s
}

// worst is the kind that colours a mixed cell: a disagreement first.
func worst(kinds []string) string {
	for _, k := range []string{string(lab.Differs), string(lab.Partly), string(lab.NotObserved)} {
		if contains(kinds, k) {
			return k
		}
	}
	return kinds[0]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// totals is the last line of the summary.
func (o Options) totals(results []lab.Result) string {
	count := map[string]int{}
	var all []lab.Verdict
	for _, r := range results {
		_, word, _ := o.outcome(r)
		count[word]++
		if r.Status != lab.StatusInconclusive {
			all = append(all, r.Verdicts...)
		}
	}
	s := fmt.Sprintf("%d %s: %d %s, %d %s", len(results), o.tr("scenarios"), count["passed"], o.tr("passed"), count["FAILED"], o.tr("failed"))
	if n := count["error"]; n > 0 {
		word := "errors"
		if n == 1 {
			word = "error"
		}
		s += fmt.Sprintf(", %d %s", n, o.tr(word))
	}
	for _, word := range []string{"inconclusive", "skipped", "interrupted"} {
		if n := count[word]; n > 0 {
			s += fmt.Sprintf(", %d %s", n, o.tr(word))
		}
	}
	if len(all) > 0 {
		s += " · " + o.tr("verdicts") + ": " + o.countsOnly(all)
	}
	return s
}

// countsOnly is "30 agree, 3 differ, 2 partly" without claim names.
func (o Options) countsOnly(vs []lab.Verdict) string {
	kinds, claims := groupVerdicts(vs)
	var parts []string
	for _, k := range kinds {
		word := k
		if len(claims[k]) > 1 && plural[k] != "" {
			word = plural[k]
		}
		parts = append(parts, fmt.Sprintf("%d %s", len(claims[k]), o.tr(word)))
	}
	return strings.Join(parts, ", ")
}
