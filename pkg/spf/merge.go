package spf

import (
	"fmt"
	"strings"
)

// MergedRecord is the one record that replaces several SPF records published
// at one name (spf.multiple-records), with what evaluating it costs.
type MergedRecord struct {
	Record string `json:"record"`
	// Lookups, VoidLookups and Costs are those of the merged record, as
	// Analysis gives them for a single record.
	Lookups     int        `json:"lookups"`
	VoidLookups VoidCount  `json:"void_lookups"`
	Costs       []TermCost `json:"costs"`
	// Notes say how the merge chose where the records disagree.
	Notes []string `json:"notes,omitempty"`
}

// MergeRecords merges SPF records published at one name (a permerror: RFC
// 7208 §4.5) into the one record to publish instead, and says how it chose:
//
//   - every mechanism of every record, once (compared case-insensitively,
//     "+" being the default qualifier), in the order of the records;
//   - one "all" at the end, with the strictest qualifier among the records'
//     ("-" over "~" over "?" over "+"): a record without "all" or
//     "redirect=" gives unlisted hosts neutral, which any "all" is at least
//     as strict as;
//   - a "redirect=" beside that "all" becomes an "include:" (a redirect
//     beside all is ignored, RFC 7208 §6.1, but the hosts it authorized
//     should stay authorized); without any "all", the first redirect stays
//     and the others become includes;
//   - the first "exp=", and every other modifier once.
//
// Terms with syntax errors are left out (and named in the notes).
func MergeRecords(records []string) (string, []string) {
	var (
		terms, notes, bad          []string
		seen                       = map[string]bool{}
		allQ                       Qualifier
		alls                       []string
		hasAll, bare               bool
		redirects, exps, modifiers []string
	)
	add := func(raw string) bool {
		k := strings.ToLower(strings.TrimPrefix(raw, "+"))
		if seen[k] {
			return false
		}
		seen[k] = true
		terms = append(terms, raw)
		return true
	}
	for _, raw := range records {
		rec, errs := parseLenient(raw)
		for _, e := range errs {
			if e.Term != "" {
				bad = appendUnique(bad, e.Term)
			}
		}
		if rec == nil {
			continue
		}
		if rec.All() == nil && rec.Redirect == nil {
			bare = true
		}
		for _, t := range rec.Terms {
			switch {
			case t.Mechanism == MechAll:
				alls = appendUnique(alls, t.Raw)
				if !hasAll || qualifierRank(t.Qualifier) > qualifierRank(allQ) {
					allQ = t.Qualifier
				}
				hasAll = true
			case t.IsMechanism():
				add(t.Raw)
			case t.Modifier == ModRedirect:
				redirects = appendUniqueFold(redirects, t.Value)
			case t.Modifier == ModExp:
				exps = appendUniqueFold(exps, t.Value)
			default:
				modifiers = appendUniqueFold(modifiers, t.Raw)
			}
		}
	}
	keepRedirect := ""
	if hasAll {
		for _, r := range redirects {
			add("include:" + r)
			notes = append(notes, fmt.Sprintf("redirect=%s became include:%s: the merged record ends in all, beside which a redirect is ignored", r, r))
		}
	} else if len(redirects) > 0 {
		keepRedirect = redirects[0]
		for _, r := range redirects[1:] {
			add("include:" + r)
			notes = append(notes, fmt.Sprintf("redirect=%s became include:%s: a record has one redirect, and redirect=%s was kept", r, r, keepRedirect))
		}
	}
	out := append([]string{"v=spf1"}, terms...)
	if hasAll {
		all := string(allQ) + "all"
		if allQ == QPass {
			all = "+all"
		}
		out = append(out, all)
		if len(alls) > 1 || bare {
			from := strings.Join(quoteEach(alls), ", ")
			if bare {
				from += " and no all (neutral)"
			}
			notes = append(notes, fmt.Sprintf("ends in %q, the strictest of the records' (%s)", all, from))
		}
	}
	if keepRedirect != "" {
		out = append(out, "redirect="+keepRedirect)
	}
	if len(exps) > 0 {
		out = append(out, "exp="+exps[0])
		if len(exps) > 1 {
			notes = append(notes, fmt.Sprintf("exp=%s kept; the other explanations (%s) were dropped", exps[0], strings.Join(exps[1:], ", ")))
		}
	}
	out = append(out, modifiers...)
	if len(bad) > 0 {
		notes = append(notes, fmt.Sprintf("left out the terms with syntax errors: %s", strings.Join(bad, " ")))
	}
	return strings.Join(out, " "), notes
}

// qualifierRank orders qualifiers from the most lenient to the strictest.
func qualifierRank(q Qualifier) int {
	switch q {
	case QFail:
		return 3
	case QSoftFail:
		return 2
	case QNeutral:
		return 1
	}
	return 0
}

func appendUniqueFold(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

func quoteEach(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
