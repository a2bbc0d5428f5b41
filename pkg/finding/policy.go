package finding

import (
	"fmt"
	"sort"
	"strings"
)

// Policy is what a run makes of findings before they are judged: codes
// ignored, severities overridden, findings waived. A CI gate uses it to be
// exactly as strict as the platform wants (--ignore, a profile's ignore and
// severity keys, a tenant's waivers). Statuses and exit codes follow the
// adjusted findings, because Adjust judges them again with Judge.
//
// Codes are the user's words here (a flag, a profile), not a look-up of a
// spec at run time: a Policy only compares codes.
type Policy struct {
	// Ignore lists codes whose findings are dropped ("dmarc.policy-none"),
	// or "CHECK.*" for every code of a check ("bimi.*").
	Ignore []string `json:"ignore,omitempty"`
	// Severity overrides the severity of the findings of a code.
	Severity map[string]Severity `json:"severity,omitempty"`
	// Waive maps a code to a note (the reason and the expiry date): its
	// findings are kept, as info, with the note added to their message.
	Waive map[string]string `json:"waive,omitempty"`
}

// IsZero reports whether the policy changes nothing.
func (p Policy) IsZero() bool {
	return len(p.Ignore) == 0 && len(p.Severity) == 0 && len(p.Waive) == 0
}

// Merge returns p with o's rules added; where both set a severity or a
// waiver for the same code, o's wins.
func (p Policy) Merge(o Policy) Policy {
	out := Policy{Ignore: append(append([]string(nil), p.Ignore...), o.Ignore...)}
	if len(p.Severity)+len(o.Severity) > 0 {
		out.Severity = map[string]Severity{}
		for k, v := range p.Severity {
			out.Severity[k] = v
		}
		for k, v := range o.Severity {
			out.Severity[k] = v
		}
	}
	if len(p.Waive)+len(o.Waive) > 0 {
		out.Waive = map[string]string{}
		for k, v := range p.Waive {
			out.Waive[k] = v
		}
		for k, v := range o.Waive {
			out.Waive[k] = v
		}
	}
	return out
}

// Ignores reports whether the policy drops findings of code.
func (p Policy) Ignores(code string) bool {
	for _, pat := range p.Ignore {
		if MatchCode(pat, code) {
			return true
		}
	}
	return false
}

// MatchCode reports whether code matches pattern: the same code, or
// "CHECK.*" and a code of that check.
func MatchCode(pattern, code string) bool {
	if prefix, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(code, prefix+".")
	}
	return pattern == code
}

// Apply returns the findings the policy keeps, with their severities
// overridden or waived, and the findings it drops. fs is not changed.
func (p Policy) Apply(fs []Finding) (kept, ignored List) {
	for _, f := range fs {
		if p.Ignores(f.Code) {
			ignored = append(ignored, f)
			continue
		}
		if s, ok := p.Severity[f.Code]; ok {
			f.Severity = s
		}
		if note, ok := p.Waive[f.Code]; ok {
			if f.Severity > Info {
				f.Message += " (waived: " + note + ")"
			}
			f.Severity = Info
		}
		kept = append(kept, f)
	}
	return kept, ignored
}

// Adjust applies the policy to the findings fs of a piece of work whose
// status was st, and returns the new status with the findings kept and
// dropped. When the policy changes nothing the status is st. Otherwise it is
// judged again (Judge): work that could not complete stays error unless
// what is left fails, and work that was skipped stays skipped unless a
// finding left is a warning or an error.
func (p Policy) Adjust(st Status, fs []Finding) (Status, List, List) {
	if p.IsZero() {
		return st, fs, nil
	}
	kept, ignored := p.Apply(fs)
	if len(ignored) == 0 && sameSeverities(fs, kept) {
		return st, kept, nil
	}
	// An error status that no transient finding explains means the work
	// itself did not complete: that stays true whatever is ignored.
	complete := !(st == StatusError && !anyTransient(fs))
	next := Judge(kept, complete)
	if st == StatusSkip && next == StatusPass {
		next = StatusSkip
	}
	Sort(kept)
	return next, kept, ignored
}

func sameSeverities(a, b []Finding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Severity != b[i].Severity {
			return false
		}
	}
	return true
}

func anyTransient(fs []Finding) bool {
	for _, f := range fs {
		if f.Transient {
			return true
		}
	}
	return false
}

// UnknownCodeError is a code in a policy that no catalogue defines.
type UnknownCodeError struct {
	Code string
	// Near are the known codes closest to Code, closest first.
	Near []string
}

func (e *UnknownCodeError) Error() string {
	msg := fmt.Sprintf("finding: unknown code %q", e.Code)
	if len(e.Near) > 0 {
		q := make([]string, len(e.Near))
		for i, n := range e.Near {
			q[i] = fmt.Sprintf("%q", n)
		}
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(q, " or "))
	}
	return msg
}

// CheckCode reports whether pattern names a known code, or a known check
// with "CHECK.*"; the error is an *UnknownCodeError naming the nearest known
// codes. known are the codes of every catalogue.
func CheckCode(pattern string, known []string) error {
	if prefix, ok := strings.CutSuffix(pattern, ".*"); ok {
		var checks []string
		seen := map[string]bool{}
		for _, k := range known {
			c, _, _ := strings.Cut(k, ".")
			if c == prefix {
				return nil
			}
			if !seen[c] {
				seen[c] = true
				checks = append(checks, c+".*")
			}
		}
		return &UnknownCodeError{Code: pattern, Near: NearestCodes(pattern, checks, 2)}
	}
	for _, k := range known {
		if k == pattern {
			return nil
		}
	}
	return &UnknownCodeError{Code: pattern, Near: NearestCodes(pattern, known, 3)}
}

// NearestCodes returns up to n of candidates closest to s by edit distance,
// closest first, among those close enough to be a likely typo.
func NearestCodes(s string, candidates []string, n int) []string {
	type scored struct {
		c string
		d int
	}
	limit := max(2, len(s)/3)
	var near []scored
	for _, c := range candidates {
		if d := editDistance(s, c); d <= limit {
			near = append(near, scored{c, d})
		}
	}
	sort.SliceStable(near, func(i, j int) bool { return near[i].d < near[j].d })
	var out []string
	for i := 0; i < len(near) && i < n; i++ {
		out = append(out, near[i].c)
	}
	return out
}

func editDistance(a, b string) int {
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
