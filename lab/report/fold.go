package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tcpteardown/teardown/lab"
)

// foldEdge is how many ordinary segments stay drawn at each end of a run
// that is folded: the first and last of a bulk transfer show its shape.
const foldEdge = 3

// fold decides which packets are drawn. It returns, per event index, the
// fold group of a packet that is not drawn (0 = drawn), and the groups.
// Segments that change a connection's life (SYN, FIN, RST) are kept first;
// ordinary ones fold in the middle of long runs; if that is still more
// than max, only the first and last max/2 kept arrows stay.
func fold(events []lab.Event, max int) ([]int, []*foldGroup) {
	var pkts []int // event indices of packets
	for i, e := range events {
		if e.Packet != nil {
			pkts = append(pkts, i)
		}
	}
	group := make([]int, len(events))
	if max < 0 || len(pkts) <= max {
		return group, nil
	}
	keep := keepImportant(events, pkts)
	clipKept(keep, max)
	return groupsOf(events, pkts, keep, group)
}

// important: segments that open, close or abort a connection.
func important(p *lab.Packet) bool { return strings.ContainsAny(p.Flags, "SFR") }

func keepImportant(events []lab.Event, pkts []int) []bool {
	keep := make([]bool, len(pkts))
	run := 0 // length of the current run of ordinary segments
	flush := func(end int) {
		for k := end - run; k < end; k++ {
			if k-(end-run) < foldEdge || end-k <= foldEdge {
				keep[k] = true
			}
		}
		run = 0
	}
	for k, i := range pkts {
		if important(events[i].Packet) {
			flush(k)
			keep[k] = true
			continue
		}
		run++
	}
	flush(len(pkts))
	return keep
}

// clipKept leaves at most max kept: the first and last halves.
func clipKept(keep []bool, max int) {
	var kept []int
	for k, ok := range keep {
		if ok {
			kept = append(kept, k)
		}
	}
	if len(kept) <= max {
		return
	}
	for _, k := range kept[max/2 : len(kept)-(max-max/2)] {
		keep[k] = false
	}
}

// foldGroup is a run of consecutive segments drawn as one mark.
type foldGroup struct {
	id         int
	first      int // event index of its first packet
	count      int
	dirs       map[string]int // "client→server" → segments
	flags      map[string]int // "[.]" → segments
	bytes      int
	start, end float64 // ms
}

func groupsOf(events []lab.Event, pkts []int, keep []bool, group []int) ([]int, []*foldGroup) {
	var groups []*foldGroup
	var cur *foldGroup
	for k, i := range pkts {
		if keep[k] {
			cur = nil
			continue
		}
		if cur == nil {
			cur = &foldGroup{id: len(groups) + 1, first: i, dirs: map[string]int{}, flags: map[string]int{}}
			groups = append(groups, cur)
		}
		cur.add(events[i])
		group[i] = cur.id
	}
	return group, groups
}

func (g *foldGroup) add(e lab.Event) {
	p := e.Packet
	t := ms(e.T)
	if g.count == 0 {
		g.start = t
	}
	g.end = t
	g.count++
	g.dirs[p.From+"→"+p.To]++
	g.flags["["+p.Flags+"]"]++
	g.bytes += p.Len
}

// summary is the fold's text: "1379 more segments".
func (g *foldGroup) summary() string {
	return fmt.Sprintf("%d more segments", g.count)
}

// when is the time span of the folded segments, shown with the count:
// later rows of the diagram may lie inside it.
func (g *foldGroup) when() string {
	if g.end == g.start {
		return fmt.Sprintf(", %.3f ms", g.start)
	}
	return fmt.Sprintf(", %.3f–%.3f ms", g.start, g.end)
}

// detail counts them by direction and flags, with their bytes and times.
func (g *foldGroup) detail() string {
	return fmt.Sprintf("%s · %s · %d bytes · %.3f–%.3f ms",
		counts(g.dirs), counts(g.flags), g.bytes, g.start, g.end)
}

// counts lists a tally as "a 3, b 2", largest first, then by name.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
