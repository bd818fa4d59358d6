package render

import (
	"strings"

	"github.com/tcpteardown/teardown/lab"
)

// minLane is the narrowest lane worth drawing: room for "[S.] seq 0 ack 1"
// between two lanes. Actors beyond what fits share the last lane.
const minLane = 20

// layout places actors in vertical lanes: Actors[0] (the client) on the
// left, Actors[1] (the server) next, then the others. When there are more
// actors than lanes fit the width (backlog: a server and four clients at
// 100 columns fits four lanes), the last lane is shared and every line in
// it names its actor.
type layout struct {
	timeW int            // width of the time column, including the gap
	cols  []int          // start column of each lane
	width int            // total width
	names []string       // lane headers
	lane  map[string]int // actor → lane
	fold  int            // index of the shared lane, or -1
}

func newLayout(actors []string, timeW, width int) *layout {
	l := &layout{timeW: timeW, width: width, lane: map[string]int{}, fold: -1}
	n := min(len(actors), max((width-timeW)/minLane, 1))
	if n == 0 {
		n = 1
		actors = []string{""}
	}
	lw := (width - timeW) / n
	for i := 0; i < n; i++ {
		l.cols = append(l.cols, timeW+i*lw)
	}
	for i, a := range actors {
		l.lane[a] = min(i, n-1)
	}
	l.names = append(l.names, actors[:n]...)
	if len(actors) > n {
		l.fold = n - 1
		l.names[n-1] = strings.Join(actors[n-1:], " ")
	}
	return l
}

// laneOf returns the lane of an actor; unknown actors go to the last lane.
func (l *layout) laneOf(actor string) int {
	if i, ok := l.lane[actor]; ok {
		return i
	}
	return len(l.cols) - 1
}

// known reports whether actor has a lane of its own or a shared one.
func (l *layout) known(actor string) bool {
	_, ok := l.lane[actor]
	return ok
}

// textW is how many columns a text in lane i may use.
func (l *layout) textW(i int) int {
	if i == len(l.cols)-1 {
		return l.width - l.cols[i]
	}
	return l.cols[i+1] - l.cols[i] - 1
}

// tag prefixes text with its actor when the actor shares a lane (or has
// none), so that "c3: connect() = EINPROGRESS" is not mistaken for c4.
func (l *layout) tag(actor, text string) string {
	i, ok := l.lane[actor]
	if ok && i != l.fold {
		return text
	}
	if actor == "" {
		return text
	}
	return sanitize(actor) + ": " + text
}

// actorsOf lists the result's actors in lane order: Result.Actors first,
// then any other actor named by an event, in order of appearance.
func actorsOf(r lab.Result) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range r.Actors {
		add(a)
	}
	for _, e := range r.Events {
		add(actorOf(e))
		if e.Snapshot != nil {
			for _, row := range e.Snapshot.Rows {
				add(row.Actor)
			}
		}
	}
	return out
}

// actorOf is the actor an event belongs to ("" for packets and snapshots).
func actorOf(e lab.Event) string {
	switch {
	case e.Call != nil:
		return e.Call.Actor
	case e.State != nil:
		return e.State.Actor
	case e.Note != nil:
		return e.Note.Actor
	}
	return ""
}
