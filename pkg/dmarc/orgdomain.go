package dmarc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// MaxTreeWalkQueries is the most DMARC queries one RFC 9989 DNS Tree Walk
// makes (§4.10): the starting name, then at most seven names of seven labels
// or fewer.
const MaxTreeWalkQueries = 8

// NormalizeDomain returns domain in the form used for lookups and
// comparison: lower case, no trailing dot, IDN U-labels converted to
// A-labels (xn--). An address ("user@example.com") gives its domain. It
// fails on names that cannot be a mail domain.
func NormalizeDomain(domain string) (string, error) {
	d := strings.TrimSpace(domain)
	if at := strings.LastIndexByte(d, '@'); at >= 0 {
		d = d[at+1:]
	}
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", fmt.Errorf("dmarc: %q has no domain", domain)
	}
	if strings.HasPrefix(d, "[") || isIPLiteral(d) {
		return "", fmt.Errorf("dmarc: %q is an address literal, not a domain; DMARC does not apply", domain)
	}
	a, err := dns.NormalizeName(d)
	if err != nil {
		return "", fmt.Errorf("dmarc: %w", err)
	}
	return a, nil
}

func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// OrgDomain7489 returns the RFC 7489 §3.2 organizational domain of domain:
// the public suffix from the Public Suffix List plus one label (the
// registrable domain). It returns "" when domain is itself a public suffix
// or is not a valid name. The list is the one embedded in
// golang.org/x/net/publicsuffix (ICANN and private sections); names are
// compared in A-label form, so U-label input works.
func OrgDomain7489(domain string) string {
	if strings.HasPrefix(domain, ".") {
		return ""
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return ""
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return ""
	}
	return org
}

// walkTargets lists the names an RFC 9989 DNS Tree Walk queries from
// domain, in order (§4.10): the name itself; then, if it has eight labels
// or more, its ancestor of seven labels; then one label fewer each time,
// down to the top-level domain. There are at most MaxTreeWalkQueries.
func walkTargets(domain string) []string {
	labels := strings.Split(domain, ".")
	out := []string{domain}
	n := len(labels)
	if n >= 8 {
		n = 7
	} else {
		n--
	}
	for ; n >= 1; n-- {
		out = append(out, strings.Join(labels[len(labels)-n:], "."))
	}
	return out
}

// ancestor returns the ancestor of domain with n labels.
func ancestor(domain string, n int) string {
	labels := strings.Split(domain, ".")
	if n >= len(labels) {
		return domain
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

func labelCount(domain string) int { return strings.Count(domain, ".") + 1 }

// Lookup is the outcome of one DMARC query.
type Lookup struct {
	// Domain is the domain whose record was asked (Name without "_dmarc.").
	Domain string `json:"domain"`
	Name   string `json:"name"`
	// Status: "record" (one DMARC record), "multiple" (several: all are
	// discarded), "none" (no DMARC record), "temperror".
	Status string `json:"status"`
	// Records are the TXT records that start with v=DMARC1.
	Records []string `json:"records,omitempty"`
	// Other are the other TXT records at the name (ignored by receivers).
	Other []string `json:"other,omitempty"`
	// CNAMEs is the alias chain followed, if any.
	CNAMEs []string `json:"cnames,omitempty"`
	Error  string   `json:"error,omitempty"`

	record *Record
	err    error
}

// session memoizes DMARC queries for one evaluation or check, so the
// policy walk and the organizational-domain walks ask each name once.
type session struct {
	r       dns.Resolver
	lookups map[string]*Lookup
	order   []string
	orgs    map[string]string
}

func newSession(r dns.Resolver) *session {
	return &session{r: r, lookups: map[string]*Lookup{}, orgs: map[string]string{}}
}

// Queried returns the DMARC names queried so far, in order.
func (s *session) queried() []string { return append([]string(nil), s.order...) }

func (s *session) lookup(ctx context.Context, domain string) *Lookup {
	if l, ok := s.lookups[domain]; ok {
		return l
	}
	name := "_dmarc." + domain
	l := &Lookup{Domain: domain, Name: name, Status: "none"}
	s.lookups[domain] = l
	if err := dns.CheckName(name); err != nil {
		// _dmarc.<domain> is too long to exist: no record.
		return l
	}
	s.order = append(s.order, name)
	ans, err := s.r.Query(ctx, name, dns.TypeTXT)
	if err != nil {
		var ne *dns.NameError
		if errors.As(err, &ne) {
			return l
		}
		l.Status, l.err, l.Error = "temperror", err, err.Error()
		return l
	}
	l.CNAMEs = ans.CNAMEs
	for _, txt := range ans.TXT() {
		if IsDMARCVersion(txt) {
			l.Records = append(l.Records, txt)
		} else {
			l.Other = append(l.Other, txt)
		}
	}
	switch len(l.Records) {
	case 0:
	case 1:
		l.Status = "record"
		l.record, _ = Parse(l.Records[0])
	default:
		l.Status = "multiple"
	}
	return l
}

// policyWalk finds the DMARC policy record for domain by the RFC 9989 DNS
// Tree Walk: the first name in the walk with exactly one DMARC record. A
// name with several records ends discovery with no policy (§4.10), as does
// a temporary failure (with the error).
func (s *session) policyWalk(ctx context.Context, domain string) (*Lookup, []*Lookup, error) {
	var steps []*Lookup
	for _, t := range walkTargets(domain) {
		l := s.lookup(ctx, t)
		steps = append(steps, l)
		switch l.Status {
		case "temperror":
			return l, steps, l.err
		case "record", "multiple":
			return l, steps, nil
		}
	}
	return nil, steps, nil
}

// orgDomain determines the RFC 9989 organizational domain of domain
// (§4.10.2): walking up from it, the first name whose record says psd=n;
// or, when a record above the starting name says psd=y, the name one label
// below that public suffix domain; otherwise the name with the fewest labels
// that has a DMARC record; and domain itself when no record is found.
func (s *session) orgDomain(ctx context.Context, domain string) (string, error) {
	if o, ok := s.orgs[domain]; ok {
		return o, nil
	}
	found := ""
	for i, t := range walkTargets(domain) {
		l := s.lookup(ctx, t)
		if l.Status == "temperror" {
			return "", l.err
		}
		if l.Status != "record" {
			continue
		}
		switch l.record.PSD {
		case "n":
			s.orgs[domain] = t
			return t, nil
		case "y":
			org := domain
			if i > 0 {
				org = ancestor(domain, labelCount(t)+1)
			}
			s.orgs[domain] = org
			return org, nil
		}
		found = t
	}
	if found == "" {
		found = domain
	}
	s.orgs[domain] = found
	return found, nil
}

// OrgDomain returns the RFC 9989 organizational domain of domain, found by
// the DNS Tree Walk (see session.orgDomain). The error is a DNS failure.
func OrgDomain(ctx context.Context, r dns.Resolver, domain string) (string, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", err
	}
	return newSession(r).orgDomain(ctx, d)
}

// exists reports whether domain exists for np (RFC 9989): it has an A, AAAA
// or MX record. NXDOMAIN or NODATA for all three means it does not.
func exists(ctx context.Context, r dns.Resolver, domain string) (bool, error) {
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX} {
		ans, err := r.Query(ctx, domain, t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if len(ans.Records) > 0 {
			return true, nil
		}
		if ans.NXDomain() && len(ans.CNAMEs) == 0 {
			return false, firstErr
		}
	}
	if firstErr != nil {
		return true, firstErr
	}
	return false, nil
}
