package check

import (
	"slices"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/msgauth"
	"github.com/penguinmails/emailauth/pkg/rotation"
	"github.com/penguinmails/emailauth/pkg/tlsrpt/tlsreport"
	"github.com/penguinmails/emailauth/pkg/warmup"
)

// MessageFindings lists the catalogues of the codes emailauth emits about
// messages and reports rather than domains (ARC chains, the bulk-sender
// requirements, DMARC aggregate and SMTP TLS reports, audit logs, warm-up
// days), and about operations on a domain (a DKIM key rotation): they are
// part of the catalogue too, grouped after the checks' codes.
func MessageFindings() []func() []*finding.Spec {
	return []func() []*finding.Spec{arc.Findings, msgauth.BulkFindings, aggregate.Findings, tlsreport.Findings, audit.Findings, warmup.Findings, rotation.Findings}
}

// Groups returns the code prefixes of every catalogue: the check names,
// then the other groups in the order of their catalogues.
func Groups() []string {
	groups := Names()
	for _, c := range MessageFindings() {
		for _, s := range c() {
			g, _, _ := strings.Cut(s.Code, ".")
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	return groups
}

// crossCatalog holds the codes of the cross-checks, which need more than one
// check's result (cross.go).
var crossCatalog finding.Catalog

// CrossFindings returns the catalogue of the cross-checks' codes.
func CrossFindings() []*finding.Spec { return crossCatalog.Specs() }

// Catalogue returns every finding code emailauth can emit: each check's
// catalogue (from the table), the cross-checks' and the message
// catalogues, grouped in the order of Groups, sorted by code within a group.
// docs/findings.md and "emailauth explain" are built from it.
func Catalogue() []*finding.Spec {
	var all []*finding.Spec
	for _, c := range table {
		all = append(all, c.Findings()...)
	}
	all = append(all, CrossFindings()...)
	for _, c := range MessageFindings() {
		all = append(all, c()...)
	}
	rank := map[string]int{}
	for i, g := range Groups() {
		rank[g] = i
	}
	group := func(code string) int {
		g, _, _ := strings.Cut(code, ".")
		return rank[g]
	}
	sort.SliceStable(all, func(i, j int) bool {
		if gi, gj := group(all[i].Code), group(all[j].Code); gi != gj {
			return gi < gj
		}
		return all[i].Code < all[j].Code
	})
	return all
}
