package lab

import (
	"maps"
	"slices"
)

// OpNames lists the operations of the scenario language, sorted. The
// runner keeps one entry per name of what each does (a test holds the two
// tables to the same names).
func OpNames() []string { return slices.Sorted(maps.Keys(ops)) }
