// Package mtasts checks a domain's SMTP MTA Strict Transport Security
// (RFC 8461): the "_mta-sts" TXT record, the policy served at
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt, and whether the policy's
// mx patterns cover the domain's MX hosts.
//
// The parsers (ParseRecord, ParsePolicy, MatchMX) are pure. FetchPolicy
// fetches a policy with the RFC 8461 §3.3 rules and tells apart a policy
// that could not be fetched (FetchError.Unreachable) from one that was
// fetched but is not acceptable. Check runs the whole check and returns a
// Result with a status and findings whose codes are in Findings().
package mtasts

import (
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// Version is the only version of the TXT record and of the policy.
const Version = "STSv1"

// Record is a parsed "_mta-sts" TXT record (RFC 8461 §3.1).
type Record struct {
	// Version is "STSv1".
	Version string `json:"version"`
	// ID identifies the policy instance: 1 to 32 letters and digits. Senders
	// fetch the policy again when it changes.
	ID string `json:"id"`
	// Extensions are the other fields, in order, as published.
	Extensions []Field `json:"extensions,omitempty"`
	// Warnings are problems that do not make the record invalid (a field
	// given twice, an empty field).
	Warnings []Problem `json:"warnings,omitempty"`
}

// Field is one name=value (record) or name: value (policy) pair.
type Field = txtrec.Field

// Problem is one thing wrong with a record or a policy: Spec is the finding
// Check reports it with (JSON carries its code), Line the policy line (0 for
// the TXT record or the policy as a whole).
type Problem = txtrec.Problem

// SyntaxError reports why a record or a policy is invalid (Package
// "mta-sts", What "record" or "policy"): senders treat an invalid record as
// no record, and an invalid policy as no policy.
type SyntaxError = txtrec.SyntaxError

// IsRecord reports whether a TXT record is meant as an MTA-STS record: it
// begins with "v=STSv1" followed by ";", a space or nothing. Senders discard
// the other TXT records found at "_mta-sts" (RFC 8461 §3.1).
func IsRecord(txt string) bool {
	rest, ok := strings.CutPrefix(txt, "v="+Version)
	return ok && (rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t')
}

// ParseRecord parses an "_mta-sts" TXT record (the character-strings
// joined) with the RFC 8461 §3.1 grammar: "v=STSv1" first, then fields
// separated by ";" with optional spaces, an "id" of 1 to 32 letters and
// digits, and extension fields (kept in Extensions). A field given twice is
// a warning and the first one counts.
//
// On error the returned *Record holds what could be read, for diagnostics,
// and the error is a *SyntaxError.
func ParseRecord(txt string) (*Record, error) {
	rec := &Record{}
	var probs []Problem
	bad := func(s *finding.Spec, format string, args ...any) {
		probs = append(probs, txtrec.Problemf(s, format, args...))
	}
	fields := strings.Split(txt, ";")
	first := fields[0]
	if !IsRecord(txt) {
		v := strings.TrimSpace(first)
		if v == "" {
			v = txt
		}
		bad(FindRecordBadVersion, "the record must begin with \"v=STSv1;\", not %q", txtrec.Abbreviate(v, 40))
		return rec, &SyntaxError{Package: "mta-sts", What: "record", Problems: probs}
	}
	if strings.TrimRight(first, " \t") != "v="+Version {
		bad(FindRecordSyntax, "the version field %q has trailing text", txtrec.Abbreviate(first, 40))
	}
	rec.Version = Version
	seen := map[string]bool{"v": true}
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i < len(fields)-2 {
				rec.Warnings = append(rec.Warnings, txtrec.Problemf(FindRecordSyntax, "the record has an empty field (two \";\" in a row)"))
			}
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			bad(FindRecordSyntax, "the field %q is not of the form name=value", txtrec.Abbreviate(f, 40))
			continue
		}
		if !txtrec.ValidExtName(name) {
			bad(FindRecordSyntax, "the field name %q is not valid (a letter or digit, then up to 31 letters, digits, \"_\", \"-\" or \".\", with no space around \"=\")", txtrec.Abbreviate(name, 40))
			continue
		}
		if seen[name] {
			rec.Warnings = append(rec.Warnings, txtrec.Problemf(FindRecordDuplicateField, "the field %q is given more than once; senders use the first", name))
			continue
		}
		seen[name] = true
		switch name {
		case "id":
			if !validID(value) {
				bad(FindRecordBadID, "the id %q is not 1 to 32 letters and digits", txtrec.Abbreviate(value, 40))
				continue
			}
			rec.ID = value
		case "v":
			// Already seen: a second v= is a duplicate, handled above.
		default:
			if !txtrec.ValidExtValue(value) {
				bad(FindRecordSyntax, "the value of %q is empty or holds a space, \"=\", \";\" or a control character", name)
				continue
			}
			rec.Extensions = append(rec.Extensions, Field{Name: name, Value: value})
		}
	}
	if !seen["id"] {
		bad(FindRecordNoID, "the record has no id field (id=1 to 32 letters and digits)")
	}
	if len(probs) > 0 {
		return rec, &SyntaxError{Package: "mta-sts", What: "record", Problems: probs}
	}
	return rec, nil
}

// String returns the record in canonical form.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=" + Version + "; id=" + r.ID)
	for _, e := range r.Extensions {
		b.WriteString("; " + e.Name + "=" + e.Value)
	}
	return b.String()
}

func validID(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !txtrec.IsAlnum(s[i]) {
			return false
		}
	}
	return true
}
