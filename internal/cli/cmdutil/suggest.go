package cmdutil

import "sort"

// Nearest returns up to n of the candidates closest to s by edit distance,
// closest first, among those close enough to be a likely typo (at most a
// third of s's length, and at least 2, edits away).
func Nearest(s string, candidates []string, n int) []string {
	type scored struct {
		c string
		d int
	}
	limit := max(2, len(s)/3)
	var near []scored
	for _, c := range candidates {
		if d := EditDistance(s, c); d <= limit {
			near = append(near, scored{c, d})
		}
	}
	sort.SliceStable(near, func(i, j int) bool { return near[i].d < near[j].d })
	out := make([]string, 0, n)
	for i := 0; i < len(near) && i < n; i++ {
		out = append(out, near[i].c)
	}
	return out
}

// EditDistance is the Levenshtein distance between a and b.
func EditDistance(a, b string) int {
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
