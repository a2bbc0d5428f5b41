package dmarc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Policy is a requested disposition: "none", "quarantine" or "reject".
type Policy string

// The policies, from weakest to strongest.
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// Strength ranks a policy: none 1, quarantine 2, reject 3, anything else 0.
func (p Policy) Strength() int {
	switch p {
	case PolicyNone:
		return 1
	case PolicyQuarantine:
		return 2
	case PolicyReject:
		return 3
	}
	return 0
}

// ParsePolicy parses a policy value, case-insensitively (RFC 9989 ABNF
// literals are case-insensitive).
func ParsePolicy(s string) (Policy, bool) {
	switch p := Policy(strings.ToLower(s)); p {
	case PolicyNone, PolicyQuarantine, PolicyReject:
		return p, true
	}
	return "", false
}

// Severity of a problem found while parsing a record.
type Severity string

// Problem severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// ProblemKind classifies a problem in a record.
type ProblemKind string

// Problem kinds. Each maps to one finding code in Check.
const (
	KindSyntax     ProblemKind = "syntax"     // a malformed tag or value
	KindDuplicate  ProblemKind = "duplicate"  // a tag given twice
	KindUnknown    ProblemKind = "unknown"    // a tag neither RFC defines
	KindRemoved    ProblemKind = "removed"    // pct, rf, ri: RFC 7489 tags removed by RFC 9989
	KindNoPolicy   ProblemKind = "no-policy"  // no valid p tag
	KindWhitespace ProblemKind = "whitespace" // separators or spaces outside the grammar
	KindOrder      ProblemKind = "order"      // p is not the second tag (RFC 7489 grammar)
)

// Problem is one thing wrong with a record's text.
type Problem struct {
	Kind     ProblemKind `json:"kind"`
	Severity Severity    `json:"severity"`
	// Tag is the tag name concerned, lower case; empty for the record as a
	// whole.
	Tag     string `json:"tag,omitempty"`
	Message string `json:"message"`
}

// Tag is one tag=value pair as written.
type Tag struct {
	// Name is the tag name in lower case; Raw keeps the text as written.
	Name  string `json:"name"`
	Value string `json:"value"`
	Raw   string `json:"raw"`
}

// Record is a parsed DMARC record. Fields hold the values in force: a tag
// that is absent or invalid leaves its default (and a Problem says so).
type Record struct {
	// Raw is the record text (TXT character-strings joined).
	Raw     string `json:"raw"`
	Version string `json:"v"`

	// P is the policy for the domain itself; empty when absent or invalid.
	P Policy `json:"p,omitempty"`
	// SP is the policy for subdomains; empty when absent (p applies).
	SP Policy `json:"sp,omitempty"`
	// NP is the policy for non-existent subdomains (RFC 9989); empty when
	// absent (sp, then p, applies).
	NP Policy `json:"np,omitempty"`
	// PSD is the public suffix domain flag (RFC 9989): "y", "n" or "u"
	// (the default).
	PSD string `json:"psd"`
	// Testing is t=y (RFC 9989): the policy is being tested, and receivers
	// apply one step weaker.
	Testing bool `json:"t"`
	// ADKIM and ASPF are the alignment modes: "r" (relaxed, default) or "s".
	ADKIM string `json:"adkim"`
	ASPF  string `json:"aspf"`
	// RUA and RUF are the report destinations that parsed.
	RUA []URI `json:"rua,omitempty"`
	RUF []URI `json:"ruf,omitempty"`
	// FO are the failure-reporting options ("0", "1", "d", "s"); default "0".
	FO []string `json:"fo"`

	// PCT, RF and RI are RFC 7489 tags that RFC 9989 removed. PCT is nil
	// when absent or invalid (an RFC 7489 receiver then uses 100).
	PCT *int     `json:"pct,omitempty"`
	RF  []string `json:"rf,omitempty"`
	RI  *int     `json:"ri,omitempty"`

	// Tags lists every tag as written, in order (duplicates included).
	Tags []Tag `json:"tags"`
	// Problems lists what is wrong with the record's text.
	Problems []Problem `json:"problems"`

	// invalidPolicy is set when p is missing or invalid, or sp or np is
	// present but invalid: RFC 9989 §4.7 then falls back to p=none (with a
	// valid rua) or to no DMARC processing.
	invalidPolicy bool
}

// ErrNotDMARC is returned by Parse for text that does not start with the
// version tag v=DMARC1: it is not a DMARC record at all.
var ErrNotDMARC = errors.New("dmarc: not a DMARC record (it does not start with v=DMARC1)")

// The tags RFC 9989 defines, and the ones it removed.
var (
	removedTags = map[string]string{
		"pct": "pct (RFC 7489 sampling) was removed by RFC 9989; an RFC 9989 receiver ignores it, an RFC 7489 receiver applies the policy to that percentage of failing mail and the next weaker policy to the rest; use t=y to test a policy instead",
		"rf":  "rf (failure-report format) was removed by RFC 9989 (RFC 9991 defines only AFRF); receivers ignore it",
		"ri":  "ri (aggregate-report interval) was removed by RFC 9989; RFC 7489 receivers treat it as a hint and most send daily reports whatever it says",
	}
)

// IsDMARCVersion reports whether txt starts with the DMARC version tag as
// RFC 9989 §4.7 requires: "v" (any case), optional WSP, "=", optional WSP,
// exactly "DMARC1", then optional WSP and ";" or the end. "v=dmarc1",
// "v=DMARC1x" and text with leading spaces are not DMARC records.
func IsDMARCVersion(txt string) bool {
	if len(txt) < 1 || (txt[0] != 'v' && txt[0] != 'V') {
		return false
	}
	s := trimWSPLeft(txt[1:])
	if !strings.HasPrefix(s, "=") {
		return false
	}
	s = trimWSPLeft(s[1:])
	if !strings.HasPrefix(s, "DMARC1") {
		return false
	}
	s = trimWSPLeft(s[len("DMARC1"):])
	return s == "" || s[0] == ';'
}

// LooksLikeDMARC reports whether txt seems meant as a DMARC record although
// IsDMARCVersion rejects it (wrong case, leading space, another version).
func LooksLikeDMARC(txt string) bool {
	if IsDMARCVersion(txt) {
		return false
	}
	l := strings.ToLower(strings.TrimSpace(txt))
	return strings.HasPrefix(l, "v=dmarc") || strings.HasPrefix(l, "v = dmarc") ||
		strings.Contains(l, "dmarc1") || (strings.Contains(l, "p=") && strings.Contains(l, "rua="))
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func trimWSPLeft(s string) string {
	for len(s) > 0 && isWSP(s[0]) {
		s = s[1:]
	}
	return s
}

func trimWSP(s string) string {
	s = trimWSPLeft(s)
	for len(s) > 0 && isWSP(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// Parse parses a DMARC record strictly. It returns ErrNotDMARC (wrapped)
// when txt does not start with v=DMARC1; otherwise it returns the record,
// whose Problems list every departure from RFC 9989's grammar, with the
// values a receiver would use (defaults for invalid tags, the first of
// duplicate tags).
func Parse(txt string) (*Record, error) {
	if !IsDMARCVersion(txt) {
		return nil, fmt.Errorf("%w: %q", ErrNotDMARC, abbreviate(txt, 60))
	}
	rec := &Record{Raw: txt, Version: "DMARC1", PSD: "u", ADKIM: "r", ASPF: "r", FO: []string{"0"}, Tags: []Tag{}, Problems: []Problem{}}
	seen := map[string]bool{}
	parts := strings.Split(txt, ";")
	for i, part := range parts {
		if strings.ContainsAny(part, "\r\n\v\f") {
			rec.problem(KindWhitespace, SevError, "", fmt.Sprintf("tag-spec %q contains a line break or another character that is not a space or tab; receivers may reject the record", abbreviate(part, 40)))
			part = strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' || r == '\v' || r == '\f' {
					return ' '
				}
				return r
			}, part)
		}
		spec := trimWSP(part)
		if spec == "" {
			if i == len(parts)-1 {
				continue // a trailing ";" is allowed
			}
			rec.problem(KindWhitespace, SevWarning, "", "empty tag-spec (two \";\" in a row); the grammar allows one separator between tags")
			continue
		}
		name, value, ok := strings.Cut(spec, "=")
		if !ok {
			rec.problem(KindSyntax, SevError, "", fmt.Sprintf("%q is not a tag=value pair", abbreviate(spec, 40)))
			continue
		}
		rawName := trimWSP(name)
		value = trimWSP(value)
		lname := strings.ToLower(rawName)
		if !validTagName(rawName) {
			rec.problem(KindSyntax, SevError, "", fmt.Sprintf("%q is not a valid tag name (letters, digits and \"_\", starting with a letter)", abbreviate(rawName, 30)))
			continue
		}
		rec.Tags = append(rec.Tags, Tag{Name: lname, Value: value, Raw: spec})
		if i == 0 {
			continue // the version tag, checked above
		}

		if lname == "v" {
			rec.problem(KindDuplicate, SevError, "v", "the version tag v appears again after the start of the record")
			continue
		}
		if seen[lname] {
			rec.problem(KindDuplicate, SevError, lname, fmt.Sprintf("tag %s appears more than once; receivers differ in which one they use (emailauth uses the first)", lname))
			continue
		}
		seen[lname] = true
		rec.setTag(lname, value)
	}
	for i, t := range rec.Tags {
		if t.Name == "p" {
			if i != 1 {
				rec.problem(KindOrder, SevWarning, "p", fmt.Sprintf("p is tag %d, not the second: RFC 9989 allows any order after v, but RFC 7489's grammar puts p right after v and some older receivers expect it there", i+1))
			}
			break
		}
	}
	if rec.P == "" {
		rec.invalidPolicy = true
	}
	if rec.P == "" && !hasProblemTag(rec, "p") {
		if len(rec.RUA) > 0 {
			rec.problem(KindNoPolicy, SevError, "p", "the record has no p tag; receivers treat it as p=none because it has a valid rua (RFC 9989 §4.7)")
		} else {
			rec.problem(KindNoPolicy, SevError, "p", "the record has no p tag and no valid rua; receivers apply no DMARC processing at all (RFC 9989 §4.7)")
		}
	} else if rec.invalidPolicy {
		if len(rec.RUA) > 0 {
			rec.problem(KindNoPolicy, SevError, "p", "a policy tag (p, sp or np) is invalid; receivers treat the record as p=none because it has a valid rua (RFC 9989 §4.7)")
		} else {
			rec.problem(KindNoPolicy, SevError, "p", "a policy tag (p, sp or np) is invalid and there is no valid rua; receivers apply no DMARC processing at all (RFC 9989 §4.7)")
		}
	}
	return rec, nil
}

func hasProblemTag(r *Record, tag string) bool {
	for _, p := range r.Problems {
		if p.Tag == tag {
			return true
		}
	}
	return false
}

func (r *Record) problem(kind ProblemKind, sev Severity, tag, msg string) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Severity: sev, Tag: tag, Message: msg})
}

func validTagName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		isAlpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !isAlpha {
			return false
		}
		if !isAlpha && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func (r *Record) badValue(tag, value, want string) {
	r.problem(KindSyntax, SevError, tag, fmt.Sprintf("%s=%s is not valid: want %s", tag, abbreviate(value, 40), want))
}

func (r *Record) setTag(name, value string) {
	switch name {
	case "p", "sp", "np":
		p, ok := ParsePolicy(value)
		if !ok {
			r.badValue(name, value, "none, quarantine or reject")
			r.invalidPolicy = true
			return
		}
		switch name {
		case "p":
			r.P = p
		case "sp":
			r.SP = p
		case "np":
			r.NP = p
		}
	case "psd":
		v := strings.ToLower(value)
		if v != "y" && v != "n" && v != "u" {
			r.badValue(name, value, "y, n or u")
			return
		}
		r.PSD = v
	case "t":
		switch strings.ToLower(value) {
		case "y":
			r.Testing = true
		case "n":
			r.Testing = false
		default:
			r.badValue(name, value, "y or n")
		}
	case "adkim", "aspf":
		v := strings.ToLower(value)
		if v != "r" && v != "s" {
			r.badValue(name, value, "r (relaxed) or s (strict)")
			return
		}
		if name == "adkim" {
			r.ADKIM = v
		} else {
			r.ASPF = v
		}
	case "rua", "ruf":
		uris, errs := ParseURIList(value)
		for _, err := range errs {
			r.problem(KindSyntax, SevError, name, fmt.Sprintf("%s: %v", name, err))
		}
		for _, u := range uris {
			if u.MaxSize > 0 {
				r.problem(KindRemoved, SevWarning, name, fmt.Sprintf("%s: the size limit %q is obsolete: RFC 9989 reporters ignore it, RFC 7489 reporters may skip this destination when a report is larger", name, u.Raw[len(u.URI):]))
			}
		}
		if name == "rua" {
			r.RUA = uris
		} else {
			r.RUF = uris
		}
	case "fo":
		var fo []string
		for _, o := range strings.Split(value, ":") {
			o = strings.ToLower(trimWSP(o))
			if o != "0" && o != "1" && o != "d" && o != "s" {
				r.badValue(name, value, "a colon-separated list of 0, 1, d and s")
				return
			}
			fo = append(fo, o)
		}
		r.FO = fo
	case "pct":
		r.problem(KindRemoved, SevWarning, name, removedTags[name])
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 100 || value == "" || value[0] == '+' || value[0] == '-' {
			r.badValue(name, value, "an integer from 0 to 100 (RFC 7489 receivers then use 100)")
			return
		}
		r.PCT = &n
	case "rf":
		r.problem(KindRemoved, SevWarning, name, removedTags[name])
		var rf []string
		for _, f := range strings.Split(value, ":") {
			f = strings.ToLower(trimWSP(f))
			if f == "" || !validTagName(f) {
				r.badValue(name, value, "a colon-separated list of report formats (afrf)")
				return
			}
			rf = append(rf, f)
		}
		r.RF = rf
	case "ri":
		r.problem(KindRemoved, SevWarning, name, removedTags[name])
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			r.badValue(name, value, "a number of seconds (32-bit unsigned integer)")
			return
		}
		v := int(n)
		r.RI = &v
	default:
		r.problem(KindUnknown, SevWarning, name, fmt.Sprintf("unknown tag %s (neither RFC 9989 nor RFC 7489 defines it); receivers ignore it", name))
	}
}

// EffectiveP returns the policy a receiver uses for the domain itself: p, or
// none when p is missing or invalid but a valid rua exists (RFC 9989 §4.7).
// ok is false when the record carries no usable policy: receivers then apply
// no DMARC processing.
func (r *Record) EffectiveP() (Policy, bool) {
	if !r.invalidPolicy {
		return r.P, true
	}
	if len(r.RUA) > 0 {
		return PolicyNone, true
	}
	return "", false
}

// EffectiveSP returns the policy for existing subdomains: sp, else p.
func (r *Record) EffectiveSP() Policy {
	if r.SP != "" && !r.invalidPolicy {
		return r.SP
	}
	p, _ := r.EffectiveP()
	return p
}

// EffectiveNP returns the policy for non-existent subdomains: np, else sp,
// else p (RFC 9989).
func (r *Record) EffectiveNP() Policy {
	if r.NP != "" && !r.invalidPolicy {
		return r.NP
	}
	return r.EffectiveSP()
}

// EffectivePct returns the pct an RFC 7489 receiver uses: the tag's value,
// or 100.
func (r *Record) EffectivePct() int {
	if r.PCT != nil {
		return *r.PCT
	}
	return 100
}

// HasErrors reports whether a problem of error severity was found.
func (r *Record) HasErrors() bool {
	for _, p := range r.Problems {
		if p.Severity == SevError {
			return true
		}
	}
	return false
}

// Weaken returns the policy one step weaker, as t=y asks of receivers:
// reject becomes quarantine, quarantine becomes none.
func Weaken(p Policy) Policy {
	switch p {
	case PolicyReject:
		return PolicyQuarantine
	case PolicyQuarantine:
		return PolicyNone
	}
	return p
}

func abbreviate(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}
