package spf

import (
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// This file merges what a sending platform needs into a domain's existing
// SPF record, so that a tenant publishes one record (two SPF records are a
// permerror) that keeps its own terms, and keeps the platform's includes
// out of the advice to cut or flatten terms.

// MergeOptions say what a record must gain.
type MergeOptions struct {
	// Includes are the include targets the record must have at its top
	// level; missing ones are added before "all" (or redirect=).
	Includes []string
	// All, when set, is the "all" the record must end with: "-all" or
	// "~all". A record with a weaker or a stronger "all" gets this one; a
	// record with neither "all" nor redirect= gains it.
	All string
}

// MergeResult is a merged record and what changed.
type MergeResult struct {
	Record string `json:"record"`
	// Added are the include terms added; AllFrom is the "all" term
	// replaced ("" when unchanged; "none" when there was none).
	Added   []string `json:"added,omitempty"`
	AllFrom string   `json:"all_from,omitempty"`
	AllTo   string   `json:"all_to,omitempty"`
	// Qualified lists the include terms whose qualifier was made "+" (an
	// include of the platform with "-", "~" or "?" does not authorize it).
	Qualified []string `json:"qualified,omitempty"`
}

// Changed reports whether the merge changed the record.
func (m *MergeResult) Changed() bool {
	return len(m.Added) > 0 || m.AllFrom != "" || len(m.Qualified) > 0
}

// MergeRecord returns record with opts applied. Its own terms are kept as
// written, in their order (whitespace is normalised to single spaces). The
// error is a *SyntaxError for a record that does not parse (it cannot be
// merged safely), or a *BuildError for a bad option.
func MergeRecord(record string, opts MergeOptions) (*MergeResult, error) {
	rec, err := Parse(strings.TrimSpace(record))
	if err != nil {
		return nil, err
	}
	var want Qualifier
	switch opts.All {
	case "":
	case "-all":
		want = QFail
	case "~all":
		want = QSoftFail
	default:
		return nil, &BuildError{Input: "all", Value: opts.All, Err: fmt.Errorf("want -all or ~all")}
	}
	res := &MergeResult{}
	terms := make([]string, 0, len(rec.Terms)+len(opts.Includes)+1)
	insertAt := -1 // where the added includes go: before all, else before the first modifier
	for _, t := range rec.Terms {
		raw := t.Raw
		switch {
		case t.Mechanism == MechAll:
			if insertAt < 0 {
				insertAt = len(terms)
			}
			if want != 0 && t.Qualifier != want {
				res.AllFrom, res.AllTo = raw, opts.All
				raw = opts.All
			}
		case t.Mechanism == MechInclude && t.Qualifier != QPass && wanted(t, opts.Includes):
			res.Qualified = append(res.Qualified, raw)
			raw = "include:" + t.Value
		case t.Modifier != "" && insertAt < 0:
			insertAt = len(terms)
		}
		terms = append(terms, raw)
	}
	if insertAt < 0 {
		insertAt = len(terms)
	}
	var add []string
	for _, inc := range opts.Includes {
		target := dns.CanonicalName(strings.TrimPrefix(strings.TrimSpace(inc), "include:"))
		if target == "" || hasInclude(rec, target) || containsFold(add, "include:"+target) {
			continue
		}
		if err := dns.CheckName(target); err != nil {
			return nil, &BuildError{Input: "include", Value: inc, Err: err}
		}
		if _, perr := parseTerm("include:"+target, 1); perr != nil {
			return nil, &BuildError{Input: "include", Value: inc, Err: fmt.Errorf("%s", perr.Reason)}
		}
		add = append(add, "include:"+target)
	}
	res.Added = add
	terms = append(terms[:insertAt], append(append([]string(nil), add...), terms[insertAt:]...)...)
	if want != 0 && rec.All() == nil && rec.Redirect == nil {
		res.AllFrom, res.AllTo = "none", opts.All
		terms = append(terms, opts.All)
	}
	res.Record = strings.Join(append([]string{"v=spf1"}, terms...), " ")
	if _, err := Parse(res.Record); err != nil {
		return nil, fmt.Errorf("spf: the merged record %q does not parse: %w", res.Record, err)
	}
	return res, nil
}

// wanted reports whether the include term t names one of includes.
func wanted(t *Term, includes []string) bool {
	for _, inc := range includes {
		if strings.EqualFold(strings.TrimSuffix(t.Value, "."), strings.TrimSuffix(strings.TrimPrefix(inc, "include:"), ".")) {
			return true
		}
	}
	return false
}

// hasInclude reports whether rec includes target at its top level.
func hasInclude(rec *Record, target string) bool {
	for _, t := range rec.Terms {
		if t.Mechanism == MechInclude && dns.CanonicalName(t.Value) == target {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Includes reports, for each target, whether evaluation of a's tree
// reaches an include of it with the "+" qualifier, at the top level or
// through other includes and redirects: the platform's senders then pass.
func (a *Analysis) Includes(target string) bool {
	target = dns.CanonicalName(strings.TrimPrefix(target, "include:"))
	found := false
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		if n == nil || found || depth > maxNest {
			return
		}
		for _, tr := range n.Terms {
			if !tr.Reached || tr.Child == nil {
				continue
			}
			if tr.Child.Via == "include" && dns.CanonicalName(tr.Child.Domain) == target && !strings.HasPrefix(tr.Term, "-") && !strings.HasPrefix(tr.Term, "~") && !strings.HasPrefix(tr.Term, "?") {
				found = true
				return
			}
			walk(tr.Child, depth+1)
		}
	}
	if a != nil {
		walk(a.Tree, 0)
	}
	return found
}

// ProtectIncludes rewrites the fixes of a's lookup-limit and
// lookup-headroom findings so that they never suggest cutting or
// flattening one of the protected includes (a platform's, whose addresses
// change without notice): the costliest terms named are the others, and
// the flattening command names them explicitly. maxLookups is the limit a
// was analysed with (0 = 10).
func (a *Analysis) ProtectIncludes(protected []string, maxLookups int) {
	if a == nil || len(protected) == 0 {
		return
	}
	if maxLookups <= 0 {
		maxLookups = MaxLookups
	}
	own := CostsExcept(a.Costs, protected)
	var keep []string
	for _, c := range a.Costs {
		if IsProtected(c.Term, protected) {
			keep = append(keep, c.Term)
		}
	}
	var flat []string
	for _, c := range own {
		if strings.HasPrefix(strings.TrimLeft(c.Term, "+"), "include:") {
			flat = append(flat, "--flatten "+strings.TrimLeft(c.Term, "+"))
		}
	}
	advice := "replace a and mx with ip4:/ip6:, or drop unused includes"
	if len(flat) > 0 {
		advice += ", or flatten yours (emailauth spf flatten " + a.Domain + " " + strings.Join(flat, " ") + ")"
	}
	if len(keep) > 0 {
		advice += "; keep " + strings.Join(keep, " and ") + ": the platform requires it and it must never be flattened"
	}
	what := CostSummary(own, 4)
	if what == "" {
		what = "none of the other terms cost a lookup"
	}
	for i, f := range a.Findings {
		switch f.Code {
		case FindLookupLimit.Code:
			a.Findings[i].Fix = fmt.Sprintf("reduce the lookups at %s by %d: %s; %s", a.Domain, a.Lookups-maxLookups, what, advice)
		case FindLookupHeadroom.Code:
			a.Findings[i].Fix = fmt.Sprintf("bring the count at %s to %d or fewer: %s; %s", a.Domain, maxLookups-2, what, advice)
		}
	}
}

// IsProtected reports whether the term (as written: "include:x",
// "+include:x") is an include of one of the protected targets.
func IsProtected(term string, protected []string) bool {
	t := strings.TrimLeft(term, "+-~?")
	target, ok := strings.CutPrefix(strings.ToLower(t), "include:")
	if !ok {
		return false
	}
	for _, p := range protected {
		if dns.CanonicalName(target) == dns.CanonicalName(strings.TrimPrefix(p, "include:")) {
			return true
		}
	}
	return false
}

// CostsExcept returns costs without the protected includes.
func CostsExcept(costs []TermCost, protected []string) []TermCost {
	out := []TermCost{}
	for _, c := range costs {
		if !IsProtected(c.Term, protected) {
			out = append(out, c)
		}
	}
	return out
}

// FlattenableIncludes returns the targets of rec's top-level includes that
// are not protected: what FlattenOptions.Flatten may name when a platform's
// includes must stay as they are.
func FlattenableIncludes(rec *Record, protected []string) []string {
	var out []string
	if rec == nil {
		return out
	}
	for _, t := range rec.Terms {
		if t.Mechanism == MechInclude && !t.HasMacros() && !IsProtected(t.Raw, protected) {
			out = append(out, dns.CanonicalName(t.Value))
		}
	}
	return out
}
