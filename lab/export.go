package lab

// EvalCond parses a condition (the text after `expect`) and evaluates it on
// a timeline. known is false when it needs packets or states and wire says
// they were not recorded. It is how tools (and tests) ask questions of a
// saved timeline.
func EvalCond(cond string, evs []Event, wire bool) (ok, known bool, err error) {
	c, err := parseCond(cond)
	if err != nil {
		return false, false, err
	}
	ok, known, _ = evalCond(c, evs, Recorded{Packets: wire, States: wire})
	return ok, known, nil
}
