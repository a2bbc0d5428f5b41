package check

import (
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// catalogues lists every package's finding catalogue. A package that emits
// findings must be listed here: docs/findings.md and "emailauth explain" are
// built from this list, and a test checks that every code in it is
// documented.
var catalogues = []func() []*finding.Spec{
	Findings,
}

// Catalogue returns every finding code emailauth can emit, grouped by check
// in report order (AllChecks), sorted by code within a check.
func Catalogue() []*finding.Spec {
	var all []*finding.Spec
	for _, c := range catalogues {
		all = append(all, c()...)
	}
	rank := map[string]int{}
	for i, c := range AllChecks {
		rank[c] = i
	}
	group := func(code string) int {
		g, _, _ := strings.Cut(code, ".")
		if r, ok := rank[g]; ok {
			return r
		}
		return len(AllChecks)
	}
	sort.SliceStable(all, func(i, j int) bool {
		gi, gj := group(all[i].Code), group(all[j].Code)
		if gi != gj {
			return gi < gj
		}
		return all[i].Code < all[j].Code
	})
	return all
}

// Lookup returns the spec of a finding code, or nil.
func Lookup(code string) *finding.Spec {
	for _, s := range Catalogue() {
		if s.Code == code {
			return s
		}
	}
	return nil
}
