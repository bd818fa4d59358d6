package cli

// closest returns the command name a mistyped one most likely meant, or ""
// when none is a plausible typo: the only name that starts with it, else
// the nearest name within one edit (for words up to four letters) or two.
func closest(typed string, names []string) string {
	if p := onlyPrefixed(typed, names); p != "" {
		return p
	}
	limit := 2
	if len(typed) <= 4 {
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, n := range names {
		if d := editDistance(typed, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// onlyPrefixed returns the one name that typed (two letters or more)
// abbreviates, or "" when none or several do.
func onlyPrefixed(typed string, names []string) string {
	found := ""
	for _, n := range names {
		if len(typed) >= 2 && len(n) > len(typed) && n[:len(typed)] == typed {
			if found != "" {
				return ""
			}
			found = n
		}
	}
	return found
}

// editDistance is the Levenshtein distance between a and b, counting an
// adjacent swap ("lba" for "lab") as one edit (optimal string alignment).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
