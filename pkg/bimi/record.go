// Package bimi checks a domain's Brand Indicators for Message
// Identification assertion record (draft-brand-indicators-for-message-
// identification-10): the TXT record at <selector>._bimi.<domain> with its
// l= (the SVG logo) and a= (the mark certificate) URLs, the fallback to
// the organizational domain, and the DMARC enforcement BIMI requires.
//
// The logo and the mark certificate are not fetched nor validated yet: the
// Result says so (AssetsChecked false, finding bimi.assets-not-checked).
//
// The package does not depend on pkg/dmarc: the caller passes what its DMARC
// check found in a DMARC value.
package bimi

import (
	"net/url"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// Version is the only version of the record.
const Version = "BIMI1"

// Record is a parsed BIMI assertion record.
type Record struct {
	Version string `json:"version"`
	// Location is the l= URL of the logo (SVG); "" when empty.
	Location string `json:"location"`
	// Evidence is the a= URL of the mark certificate (VMC or CMC, PEM);
	// "" when empty or absent.
	Evidence string `json:"evidence"`
	// Declined is true when both l= and a= are empty: an explicit refusal
	// to take part in BIMI (draft §4.3.1).
	Declined bool `json:"declined"`
	// LocalPartSelectors is the lps= tag ("true" or "false"; "" when absent).
	LocalPartSelectors string `json:"lps,omitempty"`
	// AvatarPreference is the avp= tag ("brand" or "personal"; "" when absent).
	AvatarPreference string `json:"avp,omitempty"`
	// Tags are all the tags, in order, as published.
	Tags []Tag `json:"tags"`
	// Warnings are problems that do not make the record invalid.
	Warnings []Problem `json:"warnings,omitempty"`
}

// Tag is one tag=value pair.
type Tag = txtrec.Field

// Problem is one thing wrong with a record; Spec is the finding Check
// reports it with (JSON carries its code).
type Problem = txtrec.Problem

// SyntaxError reports why a record is invalid (Package "bimi").
type SyntaxError = txtrec.SyntaxError

// IsRecord reports whether a TXT record starts with the version tag of BIMI
// ("v=BIMI1", spaces allowed around "="). Receivers discard the others
// (draft §7.2 step 4).
func IsRecord(txt string) bool {
	first, _, _ := strings.Cut(txt, ";")
	name, value, ok := strings.Cut(first, "=")
	return ok && strings.Trim(name, wsp) == "v" && strings.Trim(value, wsp) == Version
}

const wsp = " \t\r\n"

// ParseRecord parses a BIMI assertion record (character-strings joined):
// a DKIM-style tag list (RFC 6376 §3.2) with "v=BIMI1" first, l= (required:
// empty, or one https URL of the logo, which should end in .svg), a=
// (optional: empty, or one https URL of the evidence document), lps=
// (true/false), avp= (brand/personal) and unknown tags (kept, ignored).
// A tag given twice makes the record invalid, as in DKIM.
//
// On error the returned *Record holds what could be read, and the error is a
// *SyntaxError listing every problem.
func ParseRecord(txt string) (*Record, error) {
	rec := &Record{Tags: []Tag{}}
	var probs []Problem
	bad := func(s *finding.Spec, format string, args ...any) {
		probs = append(probs, txtrec.Problemf(s, format, args...))
	}
	warn := func(s *finding.Spec, format string, args ...any) {
		rec.Warnings = append(rec.Warnings, txtrec.Problemf(s, format, args...))
	}
	if !IsRecord(txt) {
		first, _, _ := strings.Cut(txt, ";")
		if strings.TrimSpace(first) == "" {
			first = txt
		}
		bad(FindBadVersion, "the record must begin with \"v=BIMI1\" (exactly so, first), not %q", txtrec.Abbreviate(strings.TrimSpace(first), 40))
		return rec, &SyntaxError{Package: "bimi", Problems: probs}
	}
	seen := map[string]bool{}
	parts := strings.Split(txt, ";")
	for i, part := range parts {
		if strings.Trim(part, wsp) == "" {
			if i != len(parts)-1 {
				warn(FindSyntax, "the record has an empty tag (two \";\" in a row)")
			}
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			bad(FindSyntax, "%q is not of the form tag=value", txtrec.Abbreviate(strings.Trim(part, wsp), 40))
			continue
		}
		name, value = strings.Trim(name, wsp), strings.Trim(value, wsp)
		if !validTagName(name) {
			bad(FindSyntax, "the tag name %q is not valid (a letter, then letters, digits or \"_\")", txtrec.Abbreviate(name, 40))
			continue
		}
		if seen[name] {
			bad(FindSyntax, "the tag %q is given more than once", name)
			continue
		}
		seen[name] = true
		rec.Tags = append(rec.Tags, Tag{Name: name, Value: value})
		switch name {
		case "v":
			rec.Version = value
		case "l":
			rec.Location = value
			if value != "" {
				checkURL(value, "l", bad, warn)
			}
		case "a":
			rec.Evidence = value
			if value != "" {
				checkURL(value, "a", bad, warn)
			}
		case "lps":
			rec.LocalPartSelectors = value
			if value != "true" && value != "false" {
				warn(FindBadTagValue, "lps=%q is neither \"true\" nor \"false\"; receivers ignore it", txtrec.Abbreviate(value, 40))
			}
		case "avp":
			rec.AvatarPreference = value
			if value != "brand" && value != "personal" {
				warn(FindBadTagValue, "avp=%q is neither \"brand\" nor \"personal\"; receivers ignore it (some treat the record as failing)", txtrec.Abbreviate(value, 40))
			}
		}
	}
	if !seen["l"] {
		if rec.Evidence != "" {
			bad(FindNoLocation, "the record has no l= tag (it is required; give the logo URL, or l= empty if the logo comes only from the mark certificate)")
		} else {
			bad(FindNoLocation, "the record has no l= tag: receivers find no logo")
		}
	}
	rec.Declined = seen["l"] && rec.Location == "" && rec.Evidence == ""
	if len(probs) > 0 {
		return rec, &SyntaxError{Package: "bimi", Problems: probs}
	}
	return rec, nil
}

// checkURL checks an l= or a= value: one https URL with a fully qualified
// host; for l=, a path ending in .svg (or .svgz).
func checkURL(v, tag string, bad, warn func(s *finding.Spec, format string, args ...any)) {
	notHTTPS, invalid := FindLocationNotHTTPS, FindLocationInvalid
	if tag == "a" {
		notHTTPS, invalid = FindEvidenceNotHTTPS, FindEvidenceInvalid
	}
	if strings.Contains(v, ",") {
		bad(invalid, "%s= holds a comma: give a single URL (commas inside a URL must be encoded as %%2C)", tag)
		return
	}
	if strings.ContainsAny(v, " \t") {
		bad(invalid, "%s=%q holds a space", tag, txtrec.Abbreviate(v, 60))
		return
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		bad(invalid, "%s=%q is not an absolute URL", tag, txtrec.Abbreviate(v, 60))
		return
	}
	if !strings.EqualFold(u.Scheme, "https") {
		bad(notHTTPS, "%s=%q uses %s:; BIMI requires https:", tag, txtrec.Abbreviate(v, 60), u.Scheme)
		return
	}
	if h := u.Hostname(); !strings.Contains(strings.TrimSuffix(h, "."), ".") || u.Opaque != "" {
		bad(invalid, "%s=%q does not name a fully qualified host", tag, txtrec.Abbreviate(v, 60))
		return
	}
	if tag == "l" {
		p := strings.ToLower(u.Path)
		if !strings.HasSuffix(p, ".svg") && !strings.HasSuffix(p, ".svgz") {
			warn(FindLocationNotSVG, "l=%q does not end in .svg: the logo must be an SVG (Tiny PS) file, and receivers judge the format by the suffix", txtrec.Abbreviate(v, 60))
		}
	}
}

func validTagName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// String returns the record in canonical form.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=" + Version)
	for _, t := range r.Tags {
		if t.Name == "v" {
			continue
		}
		b.WriteString("; " + t.Name + "=" + t.Value)
	}
	if len(r.Tags) == 0 {
		b.WriteString("; l=" + r.Location)
		if r.Evidence != "" {
			b.WriteString("; a=" + r.Evidence)
		}
	}
	return b.String()
}

// ValidSelector reports whether s is a valid selector: dot-separated
// labels of letters, digits and "-" (draft §4.4).
func ValidSelector(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
