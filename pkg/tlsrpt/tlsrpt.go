// Package tlsrpt checks a domain's SMTP TLS Reporting record (RFC 8460
// §3): the "_smtp._tls" TXT record that tells senders where to send reports
// of TLS failures (with MTA-STS or DANE) as mailto: or https: URIs.
package tlsrpt

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// Version is the only version of the record.
const Version = "TLSRPTv1"

// Record is a parsed "_smtp._tls" TXT record.
type Record struct {
	Version string `json:"version"`
	// RUA are the report destinations, in order, as published.
	RUA []string `json:"rua"`
	// Extensions are the other fields, in order.
	Extensions []Field `json:"extensions,omitempty"`
	// Warnings are problems that do not make the record invalid.
	Warnings []Problem `json:"warnings,omitempty"`
}

// Field is one name=value pair.
type Field = txtrec.Field

// Problem is one thing wrong with a record: Spec is the finding Check
// reports it with (JSON carries its code), URI the rua URI it is about, if
// any.
type Problem = txtrec.Problem

// SyntaxError reports why a record is invalid (Package "tlsrpt"): senders
// then assume the domain does not implement TLS reporting.
type SyntaxError = txtrec.SyntaxError

// IsRecord reports whether a TXT record is meant as a TLSRPT record: it
// begins with "v=TLSRPTv1" followed by ";", a space or nothing. Senders
// discard the others (RFC 8460 §3).
func IsRecord(txt string) bool {
	rest, ok := strings.CutPrefix(txt, "v="+Version)
	return ok && (rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t')
}

// ParseRecord parses a "_smtp._tls" TXT record (character-strings joined)
// with the RFC 8460 §3 grammar: "v=TLSRPTv1" first, fields separated by ";"
// with optional spaces, a required "rua" holding one or more mailto: or
// https: URIs separated by commas, and extension fields. A field given twice
// is a warning and the first counts.
//
// On error the returned *Record holds what could be read, and the error is a
// *SyntaxError listing every problem.
func ParseRecord(txt string) (*Record, error) {
	rec := &Record{RUA: []string{}}
	var probs []Problem
	bad := func(s *finding.Spec, uri, format string, args ...any) {
		probs = append(probs, Problem{Spec: s, URI: uri, Message: fmt.Sprintf(format, args...)})
	}
	fields := strings.Split(txt, ";")
	if !IsRecord(txt) {
		v := strings.TrimSpace(fields[0])
		if v == "" {
			v = txt
		}
		bad(FindBadVersion, "", "the record must begin with \"v=TLSRPTv1\", not %q", txtrec.Abbreviate(v, 40))
		return rec, &SyntaxError{Package: "tlsrpt", Problems: probs}
	}
	if strings.TrimRight(fields[0], " \t") != "v="+Version {
		bad(FindSyntax, "", "the version field %q has trailing text (fields are separated by \";\")", txtrec.Abbreviate(fields[0], 40))
	}
	rec.Version = Version
	seen := map[string]bool{"v": true}
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i < len(fields)-2 {
				rec.Warnings = append(rec.Warnings, txtrec.Problemf(FindSyntax, "the record has an empty field (two \";\" in a row)"))
			}
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			bad(FindSyntax, "", "the field %q is not of the form name=value", txtrec.Abbreviate(f, 40))
			continue
		}
		if !txtrec.ValidExtName(name) {
			bad(FindSyntax, "", "the field name %q is not valid (no spaces around \"=\"; a letter or digit, then letters, digits, \"_\", \"-\" or \".\")", txtrec.Abbreviate(name, 40))
			continue
		}
		if seen[name] {
			rec.Warnings = append(rec.Warnings, txtrec.Problemf(FindDuplicateField, "the field %q is given more than once; senders use the first", name))
			continue
		}
		seen[name] = true
		switch name {
		case "rua":
			for _, u := range strings.Split(value, ",") {
				u = strings.Trim(u, " \t")
				rec.RUA = append(rec.RUA, u)
				if s, msg := checkURI(u); s != nil {
					bad(s, u, "%s", msg)
				}
			}
		case "v":
		default:
			if !txtrec.ValidExtValue(value) {
				bad(FindSyntax, "", "the value of %q is empty or holds a space, \"=\", \";\" or a control character", name)
				continue
			}
			rec.Extensions = append(rec.Extensions, Field{Name: name, Value: value})
		}
	}
	if !seen["rua"] {
		bad(FindNoRUA, "", "the record has no rua field: senders do not know where to send reports")
	}
	if len(probs) > 0 {
		return rec, &SyntaxError{Package: "tlsrpt", Problems: probs}
	}
	return rec, nil
}

// checkURI validates one rua URI: a mailto: with one address, or an https:
// URL with a host. It returns the finding and a message, or nil.
func checkURI(u string) (*finding.Spec, string) {
	if u == "" {
		return FindRUAInvalid, "the rua list has an empty URI (a stray comma)"
	}
	if strings.ContainsAny(u, " \t") {
		return FindRUAInvalid, fmt.Sprintf("the rua URI %q holds a space", txtrec.Abbreviate(u, 60))
	}
	if strings.Contains(u, "!") {
		return FindRUAInvalid, fmt.Sprintf("the rua URI %q holds \"!\", which must be percent-encoded (TLS-RPT has no DMARC-style size limit)", txtrec.Abbreviate(u, 60))
	}
	p, err := url.Parse(u)
	if err != nil {
		return FindRUAInvalid, fmt.Sprintf("the rua URI %q is not a valid URI", txtrec.Abbreviate(u, 60))
	}
	switch strings.ToLower(p.Scheme) {
	case "mailto":
		addr := p.Opaque
		if addr == "" {
			addr = p.Path
		}
		if a, err := url.PathUnescape(addr); err == nil {
			addr = a
		}
		if addr == "" {
			return FindRUAInvalid, fmt.Sprintf("the rua URI %q has no address", u)
		}
		if strings.Contains(addr, ",") {
			return FindRUAInvalid, fmt.Sprintf("the rua URI %q holds more than one address; give each as its own mailto: URI", txtrec.Abbreviate(u, 60))
		}
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Address != addr || a.Name != "" {
			return FindRUAInvalid, fmt.Sprintf("the rua URI %q does not hold a valid e-mail address", txtrec.Abbreviate(u, 60))
		}
		_, domain, _ := strings.Cut(addr, "@")
		if !validHost(domain) {
			return FindRUAInvalid, fmt.Sprintf("the address in the rua URI %q has an invalid domain %q", txtrec.Abbreviate(u, 60), domain)
		}
	case "https":
		if p.Host == "" || p.Opaque != "" {
			return FindRUAInvalid, fmt.Sprintf("the rua URI %q has no host (write https://host/path)", txtrec.Abbreviate(u, 60))
		}
		if !validHost(p.Hostname()) {
			return FindRUAInvalid, fmt.Sprintf("the rua URI %q has an invalid host %q", txtrec.Abbreviate(u, 60), p.Hostname())
		}
	case "http":
		return FindRUAHTTP, fmt.Sprintf("the rua URI %q uses http:; RFC 8460 allows only https: (and mailto:)", txtrec.Abbreviate(u, 60))
	case "":
		if strings.Contains(u, "@") {
			return FindRUAInvalid, fmt.Sprintf("the rua URI %q lacks its scheme: write mailto:%s", txtrec.Abbreviate(u, 60), u)
		}
		return FindRUAInvalid, fmt.Sprintf("the rua URI %q lacks its scheme (mailto: or https:)", txtrec.Abbreviate(u, 60))
	default:
		return FindRUAScheme, fmt.Sprintf("the rua URI %q uses %s:; only mailto: and https: are defined", txtrec.Abbreviate(u, 60), p.Scheme)
	}
	return nil, ""
}

// validHost checks a host name: dot-separated labels of letters, digits
// and "-", at least two labels, or an IP literal.
func validHost(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		return true
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !txtrec.IsAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// String returns the record in canonical form.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=" + Version + "; rua=" + strings.Join(r.RUA, ","))
	for _, e := range r.Extensions {
		b.WriteString("; " + e.Name + "=" + e.Value)
	}
	return b.String()
}
