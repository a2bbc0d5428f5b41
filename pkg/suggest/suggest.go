// Package suggest finds what a person probably meant when a name they typed
// is unknown: the nearest flags, config keys, finding codes or policy words,
// by edit distance. It serves every "did you mean" of emailauth, in the
// library (a misspelt DMARC policy) and on the command line.
package suggest

import "sort"

// maxLen bounds the strings compared: longer ones are never near anything
// (and a stranger's DNS record cannot make the comparison costly).
const maxLen = 64

// Distance is the Levenshtein distance between a and b: the least number of
// one-byte insertions, deletions and substitutions that turn one into the
// other. Strings longer than 64 octets are at distance 1<<20 from anything.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return 1 << 20
	}
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

// Nearest returns up to n of the candidates closest to s, closest first,
// among those close enough to be a likely typo: at most a third of s's
// length, and at least 2, edits away.
func Nearest(s string, candidates []string, n int) []string {
	type scored struct {
		c string
		d int
	}
	limit := max(2, len(s)/3)
	var near []scored
	for _, c := range candidates {
		if d := Distance(s, c); d <= limit {
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
