package spf

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// BuildOptions are the parts of a record to compose. Names in A and MX may
// be "@" (or "") for the domain itself, and may carry a prefix length
// ("mail.example.com/24").
type BuildOptions struct {
	Includes []string
	IP4      []string
	IP6      []string
	A        []string
	MX       []string
	Exists   []string
	Redirect string
	// All is "fail", "softfail", "neutral" or "pass"; "" means "fail"
	// unless Redirect is set.
	All string
	// AllowPassAll permits All == "pass", which authorizes every host.
	AllowPassAll bool
	// MaxLookups is the limit the record must stay within; 0 = 10.
	MaxLookups int
}

// BuildError is a value that cannot go into a record; Input names the
// option ("ip4", "all", ...).
type BuildError struct {
	Input string
	Value string
	Err   error
}

func (e *BuildError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("spf: %s: %v", e.Input, e.Err)
	}
	return fmt.Sprintf("spf: %s %q: %v", e.Input, e.Value, e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }

// LimitError is a record that needs more DNS lookups than allowed.
type LimitError struct {
	Record  string
	Lookups int
	Max     int
	Costs   []TermCost
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("spf: the record needs %d DNS lookups (more than %d); the costliest terms: %s", e.Lookups, e.Max, CostSummary(e.Costs, 4))
}

// Compose builds the text of a record from opts, validating every value. It
// asks no DNS; see Build for the cost.
func Compose(opts BuildOptions) (string, error) {
	terms := []string{"v=spf1"}
	add := func(input, mech string, values []string, named bool) error {
		for _, v := range values {
			v = strings.TrimSpace(v)
			term := mech
			switch {
			case named && (v == "" || v == "@"):
			case named && strings.HasPrefix(v, "@/"):
				term += v[1:]
			case named && strings.HasPrefix(v, "/"):
				term += v
			default:
				if v == "" {
					return &BuildError{Input: input, Value: v, Err: fmt.Errorf("the value is empty")}
				}
				term += ":" + v
			}
			t, err := parseTerm(term, 1)
			if err != nil {
				return &BuildError{Input: input, Value: v, Err: fmt.Errorf("%s", err.Reason)}
			}
			if t.Mechanism != mech {
				return &BuildError{Input: input, Value: v, Err: fmt.Errorf("not a valid %s value", mech)}
			}
			terms = append(terms, term)
		}
		return nil
	}
	for _, step := range []struct {
		input, mech string
		values      []string
		named       bool
	}{
		{"ip4", MechIP4, opts.IP4, false},
		{"ip6", MechIP6, opts.IP6, false},
		{"a", MechA, opts.A, true},
		{"mx", MechMX, opts.MX, true},
		{"include", MechInclude, opts.Includes, false},
		{"exists", MechExists, opts.Exists, false},
	} {
		if err := add(step.input, step.mech, step.values, step.named); err != nil {
			return "", err
		}
	}
	all := opts.All
	if opts.Redirect != "" {
		if all != "" {
			return "", &BuildError{Input: "all", Value: all, Err: fmt.Errorf("a record with redirect= ignores it beside all (RFC 7208 §6.1); give either all or redirect")}
		}
		term := "redirect=" + strings.TrimSpace(opts.Redirect)
		if _, err := parseTerm(term, 1); err != nil {
			return "", &BuildError{Input: "redirect", Value: opts.Redirect, Err: fmt.Errorf("%s", err.Reason)}
		}
		terms = append(terms, term)
	} else {
		switch all {
		case "", "fail":
			terms = append(terms, "-all")
		case "softfail":
			terms = append(terms, "~all")
		case "neutral":
			terms = append(terms, "?all")
		case "pass":
			if !opts.AllowPassAll {
				return "", &BuildError{Input: "all", Value: all, Err: fmt.Errorf("+all authorizes every host on the Internet; pass --allow-pass-all if that is really meant")}
			}
			terms = append(terms, "+all")
		default:
			return "", &BuildError{Input: "all", Value: all, Err: fmt.Errorf("want fail, softfail or neutral")}
		}
	}
	rec := strings.Join(terms, " ")
	if _, err := Parse(rec); err != nil {
		return "", &BuildError{Input: "record", Err: err}
	}
	return rec, nil
}

// BuildResult is a composed record with its cost.
type BuildResult struct {
	Domain string `json:"domain"`
	Record string `json:"record"`
	// Strings are the character-strings to publish (255 octets at most).
	Strings []string `json:"strings"`
	// ZoneLine is a BIND zone-file line publishing the record.
	ZoneLine string `json:"zone_line"`
	// Lookups is the record's cost, resolving includes.
	Lookups  int       `json:"lookups"`
	Analysis *Analysis `json:"analysis"`
}

// Build composes a record and computes its cost by analysing it as if
// published at domain (its includes and redirect are resolved through r).
// A record over the lookup limit is refused with a *LimitError.
func Build(ctx context.Context, r dns.Resolver, domain string, opts BuildOptions) (*BuildResult, error) {
	rec, err := Compose(opts)
	if err != nil {
		return nil, err
	}
	a, err := AnalyzeRecord(ctx, r, domain, rec, AnalyzeOptions{MaxLookups: opts.MaxLookups})
	if err != nil {
		return nil, &BuildError{Input: "domain", Value: domain, Err: err}
	}
	max := opts.MaxLookups
	if max <= 0 {
		max = MaxLookups
	}
	if a.Lookups > max {
		return nil, &LimitError{Record: rec, Lookups: a.Lookups, Max: max, Costs: a.Costs}
	}
	return &BuildResult{Domain: a.Domain, Record: rec, Strings: SplitStrings(rec), ZoneLine: ZoneLine(a.Domain, 3600, rec), Lookups: a.Lookups, Analysis: a}, nil
}
