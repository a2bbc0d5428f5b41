package check

import (
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// crossCatalog holds the codes of the cross-checks, which need more than one
// check's result (cross.go).
var crossCatalog finding.Catalog

// CrossFindings returns the catalogue of the cross-checks' codes.
func CrossFindings() []*finding.Spec { return crossCatalog.Specs() }

// Catalogue returns every finding code the checks can emit: each check's
// catalogue (from the table) and the cross-checks', grouped by check in
// report order, sorted by code within a check. docs/findings.md and
// "emailauth explain" are built from it, with the catalogues of the other
// packages that emit findings (message verification, reports) that callers
// add.
func Catalogue(others ...func() []*finding.Spec) []*finding.Spec {
	var all []*finding.Spec
	for _, c := range table {
		all = append(all, c.Findings()...)
	}
	all = append(all, CrossFindings()...)
	for _, o := range others {
		all = append(all, o()...)
	}
	rank := map[string]int{}
	for i, c := range table {
		rank[c.Name] = i
	}
	group := func(code string) (int, string) {
		g, _, _ := strings.Cut(code, ".")
		if r, ok := rank[g]; ok {
			return r, ""
		}
		return len(table), g
	}
	sort.SliceStable(all, func(i, j int) bool {
		ri, gi := group(all[i].Code)
		rj, gj := group(all[j].Code)
		if ri != rj {
			return ri < rj
		}
		if gi != gj {
			return gi < gj
		}
		return all[i].Code < all[j].Code
	})
	return all
}
