package mtasts

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// Limits from RFC 8461.
const (
	// MaxMaxAge is the largest max_age a policy may give (§3.2): one year.
	MaxMaxAge = 31557600
	// MaxPolicySize is the largest policy body accepted: the 64 KiB limit
	// RFC 8461 §3.3 suggests to senders.
	MaxPolicySize = 64 << 10
	// ShortMaxAge is the max_age below which the check warns: a policy
	// cached for less than a day gives little protection (§3.2 expects weeks).
	ShortMaxAge = 86400
)

// Modes of a policy.
const (
	ModeEnforce = "enforce"
	ModeTesting = "testing"
	ModeNone    = "none"
)

// Policy is a parsed MTA-STS policy (RFC 8461 §3.2).
type Policy struct {
	Version string `json:"version"`
	// Mode is "enforce", "testing" or "none".
	Mode string `json:"mode"`
	// MX holds the mx patterns, in order, as published.
	MX []string `json:"mx"`
	// MaxAge is the policy lifetime in seconds.
	MaxAge int64 `json:"max_age"`
	// Extensions are the fields the RFC does not define, kept in order.
	Extensions []Field `json:"extensions,omitempty"`
	// LineEndings is "LF", "CRLF" or "mixed" ("" for a one-line body).
	LineEndings string `json:"line_endings,omitempty"`
	// Warnings are problems that do not make the policy invalid.
	Warnings []Problem `json:"warnings,omitempty"`
}

// ParsePolicy parses a policy body with the RFC 8461 §3.2 grammar: lines of
// "key: value" ended by LF or CRLF; "version: STSv1", "mode", "max_age"
// (at most 31557600) and, unless the mode is none, at least one "mx" (a
// host name, or "*." and a host name). Keys are case-sensitive. Unknown keys
// are kept in Extensions; a non-mx key given twice is a warning and the first
// one counts. A body over MaxPolicySize is refused.
//
// On error the returned *Policy holds what could be read, for diagnostics,
// and the error is a *SyntaxError listing every problem found.
func ParsePolicy(body []byte) (*Policy, error) {
	p := &Policy{MX: []string{}}
	var probs []Problem
	bad := func(line int, s *finding.Spec, format string, args ...any) {
		probs = append(probs, Problem{Spec: s, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	warn := func(line int, s *finding.Spec, format string, args ...any) {
		p.Warnings = append(p.Warnings, Problem{Spec: s, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	if len(body) > MaxPolicySize {
		bad(0, FindPolicyTooLarge, "the policy is %d bytes; the limit is %d", len(body), MaxPolicySize)
		return p, &SyntaxError{Package: "mta-sts", What: "policy", Problems: probs}
	}
	if !utf8.Valid(body) {
		bad(0, FindPolicySyntax, "the policy is not valid UTF-8 text")
		return p, &SyntaxError{Package: "mta-sts", What: "policy", Problems: probs}
	}
	text := string(body)
	var crlf, lf int
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the last line's terminator is optional
	}
	seen := map[string]int{}
	for i, line := range lines {
		n := i + 1
		if i < len(lines)-1 || strings.HasSuffix(text, "\n") {
			if l, ok := strings.CutSuffix(line, "\r"); ok {
				line = l
				crlf++
			} else {
				lf++
			}
		}
		if strings.ContainsRune(line, '\r') {
			bad(n, FindPolicySyntax, "the line holds a carriage return that does not end it (lines end with LF or CRLF)")
			continue
		}
		if strings.Trim(line, " \t") == "" {
			warn(n, FindPolicySyntax, "the line is empty; the grammar has no empty lines (some senders reject the policy)")
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			bad(n, FindPolicySyntax, "the line begins with white space: %q", txtrec.Abbreviate(line, 60))
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			bad(n, FindPolicySyntax, "the line %q is not of the form \"key: value\"", txtrec.Abbreviate(line, 60))
			continue
		}
		value = strings.Trim(value, " \t")
		if !txtrec.ValidExtName(key) {
			bad(n, FindPolicySyntax, "the key %q is not valid (a letter or digit, then up to 31 letters, digits, \"_\", \"-\" or \".\", with no space before \":\")", txtrec.Abbreviate(key, 40))
			continue
		}
		for j := 0; j < len(value); j++ {
			if c := value[j]; c < 0x20 || c == 0x7f {
				bad(n, FindPolicySyntax, "the value of %q holds a control character", key)
				value = ""
				break
			}
		}
		if key != "mx" {
			if first, dup := seen[key]; dup {
				warn(n, FindPolicyDuplicateField, "%q is given again (first on line %d); senders use the first", key, first)
				continue
			}
			seen[key] = n
		}
		switch key {
		case "version":
			p.Version = value
			if value != Version {
				bad(n, FindPolicyBadVersion, "the version is %q; it must be %q", txtrec.Abbreviate(value, 40), Version)
			}
		case "mode":
			p.Mode = value
			switch value {
			case ModeEnforce, ModeTesting, ModeNone:
			default:
				hint := ""
				if l := strings.ToLower(value); l == ModeEnforce || l == ModeTesting || l == ModeNone {
					hint = fmt.Sprintf(" (values are case-sensitive: write %q)", l)
				}
				bad(n, FindPolicyBadMode, "the mode is %q; it must be enforce, testing or none%s", txtrec.Abbreviate(value, 40), hint)
			}
		case "max_age":
			v, err := parseMaxAge(value)
			if err != nil {
				bad(n, FindPolicyBadMaxAge, "max_age %q %s", txtrec.Abbreviate(value, 40), err)
				break
			}
			p.MaxAge = v
			if v > MaxMaxAge {
				bad(n, FindPolicyMaxAgeTooLarge, "max_age is %d; the maximum is %d (one year)", v, MaxMaxAge)
			} else if v < ShortMaxAge {
				warn(n, FindPolicyMaxAgeShort, "max_age is %d seconds, under a day: senders forget the policy quickly, which leaves room for a downgrade attack", v)
			}
		case "mx":
			p.MX = append(p.MX, value)
			if err := checkPattern(value); err != nil {
				bad(n, FindPolicyBadMX, "the mx pattern %q %s", txtrec.Abbreviate(value, 60), err)
			}
		default:
			if hint := strings.ToLower(key); hint == "version" || hint == "mode" || hint == "max_age" || hint == "mx" {
				bad(n, FindPolicySyntax, "the key %q is not %q: keys are case-sensitive", key, hint)
				continue
			}
			p.Extensions = append(p.Extensions, Field{Name: key, Value: value})
		}
	}
	switch {
	case crlf > 0 && lf > 0:
		p.LineEndings = "mixed"
	case crlf > 0:
		p.LineEndings = "CRLF"
	case lf > 0:
		p.LineEndings = "LF"
	}
	if _, ok := seen["version"]; !ok {
		bad(0, FindPolicyBadVersion, "the policy has no \"version: STSv1\" line")
	}
	if _, ok := seen["mode"]; !ok {
		bad(0, FindPolicyBadMode, "the policy has no \"mode\" line (enforce, testing or none)")
	}
	if _, ok := seen["max_age"]; !ok {
		bad(0, FindPolicyBadMaxAge, "the policy has no \"max_age\" line")
	}
	if len(p.MX) == 0 && (p.Mode == ModeEnforce || p.Mode == ModeTesting) {
		bad(0, FindPolicyNoMX, "the policy is in %s mode but has no \"mx\" line", p.Mode)
	}
	if len(probs) > 0 {
		return p, &SyntaxError{Package: "mta-sts", What: "policy", Problems: probs}
	}
	return p, nil
}

func parseMaxAge(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("is empty; it must be a number of seconds")
	}
	if len(s) > 10 {
		return 0, fmt.Errorf("has more than 10 digits")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("is not a whole number of seconds")
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("is not a whole number of seconds")
	}
	return v, nil
}

// checkPattern checks an mx pattern: ["*."] Domain, with host-name labels.
func checkPattern(p string) error {
	if p == "" {
		return fmt.Errorf("is empty")
	}
	host, wild := strings.CutPrefix(p, "*.")
	if strings.Contains(host, "*") {
		return fmt.Errorf("has a \"*\" that is not the whole left-most label")
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return fmt.Errorf("has no domain")
	}
	if len(host) > 253 {
		return fmt.Errorf("is longer than 253 characters")
	}
	labels := strings.Split(host, ".")
	if wild && len(labels) < 2 {
		return fmt.Errorf("is a wildcard over a single label; it would match top-level names")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("has an empty or over-long label")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("has a label that begins or ends with \"-\"")
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !txtrec.IsAlnum(c) && c != '-' {
				return fmt.Errorf("has the character %q; a host name has letters, digits, \"-\" and \".\"", c)
			}
		}
	}
	return nil
}

// MatchMX reports whether an MX host name matches an mx pattern of a
// policy (RFC 8461 §4.1): names compare without regard to case or a
// trailing dot, and a pattern "*.example.net" matches a host with exactly
// one more label on the left ("mx1.example.net", not "example.net" nor
// "a.mx1.example.net").
func MatchMX(pattern, host string) bool {
	p := canonical(pattern)
	h := canonical(host)
	if p == "" || h == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(p, "*."); ok {
		first, tail, ok := strings.Cut(h, ".")
		return ok && first != "" && first != "*" && tail == rest
	}
	return p == h
}

func canonical(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// String returns the policy as a body to serve, with CRLF line endings.
func (p *Policy) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: %s\r\nmode: %s\r\n", p.Version, p.Mode)
	for _, mx := range p.MX {
		fmt.Fprintf(&b, "mx: %s\r\n", mx)
	}
	fmt.Fprintf(&b, "max_age: %d\r\n", p.MaxAge)
	for _, e := range p.Extensions {
		fmt.Fprintf(&b, "%s: %s\r\n", e.Name, e.Value)
	}
	return b.String()
}
