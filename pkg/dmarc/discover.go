package dmarc

import (
	"context"
	"fmt"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Discovery statuses.
const (
	StatusFound     = "found"     // one DMARC record applies
	StatusNone      = "none"      // no DMARC record
	StatusMultiple  = "multiple"  // several records at one name: none applies
	StatusTempError = "temperror" // the DNS did not answer
)

// Discovery is where the DMARC policy for a domain comes from, in the RFC
// 9989 view (DNS Tree Walk) and the RFC 7489 view (author domain, then the
// Public Suffix List organizational domain).
type Discovery struct {
	Domain string `json:"domain"`
	// Status is found, none, multiple or temperror (RFC 9989 view).
	Status string `json:"status"`
	// RecordDomain is the domain whose _dmarc record applies.
	RecordDomain string  `json:"record_domain,omitempty"`
	Record       *Record `json:"record,omitempty"`
	// Inherited is true when the record is a parent's.
	Inherited bool `json:"inherited"`
	// OrgDomain is the domain's RFC 9989 organizational domain.
	OrgDomain string `json:"org_domain,omitempty"`
	// Lookups are the queries of the policy walk, in order.
	Lookups []*Lookup `json:"lookups"`

	RFC7489 LegacyDiscovery `json:"rfc7489"`
	// ViewsDisagree is true when the two views find different records or
	// organizational domains; Differences says how.
	ViewsDisagree bool     `json:"views_disagree"`
	Differences   []string `json:"differences,omitempty"`
	// RecordDiffers and OrgDomainDiffers say which of the two differs.
	RecordDiffers    bool `json:"record_differs"`
	OrgDomainDiffers bool `json:"org_domain_differs"`

	session *session
}

// LegacyDiscovery is RFC 7489 §6.6.3 policy discovery.
type LegacyDiscovery struct {
	Status string `json:"status"`
	// OrgDomain is the Public Suffix List organizational domain; "" when
	// the domain is itself a public suffix.
	OrgDomain    string    `json:"org_domain,omitempty"`
	RecordDomain string    `json:"record_domain,omitempty"`
	Lookups      []*Lookup `json:"lookups"`
}

// Discover finds the DMARC record that applies to domain in both views. A
// DNS failure is returned as an error (a *dns.Error) with the Discovery so
// far; bad input as an error with a nil Discovery.
func Discover(ctx context.Context, r dns.Resolver, domain string) (*Discovery, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	s := newSession(r)
	disc := &Discovery{Domain: d, Lookups: []*Lookup{}, session: s}
	found, steps, werr := s.policyWalk(ctx, d)
	disc.Lookups = steps
	switch {
	case werr != nil:
		disc.Status = StatusTempError
		return disc, fmt.Errorf("dmarc: policy discovery for %s: %w", d, werr)
	case found == nil:
		disc.Status = StatusNone
	case found.Status == "multiple":
		disc.Status = StatusMultiple
		disc.RecordDomain = found.Domain
	default:
		disc.Status = StatusFound
		disc.RecordDomain = found.Domain
		disc.Record = found.record
		disc.Inherited = found.Domain != d
	}
	org, oerr := s.orgDomain(ctx, d)
	if oerr != nil {
		return disc, fmt.Errorf("dmarc: organizational domain of %s: %w", d, oerr)
	}
	disc.OrgDomain = org

	// RFC 7489 view.
	lg := LegacyDiscovery{OrgDomain: OrgDomain7489(d), Lookups: []*Lookup{}}
	l := s.lookup(ctx, d)
	lg.Lookups = append(lg.Lookups, l)
	if l.Status == "none" && lg.OrgDomain != "" && lg.OrgDomain != d {
		l = s.lookup(ctx, lg.OrgDomain)
		lg.Lookups = append(lg.Lookups, l)
	}
	switch l.Status {
	case "temperror":
		lg.Status = StatusTempError
		disc.RFC7489 = lg
		return disc, fmt.Errorf("dmarc: policy discovery for %s: %w", d, l.err)
	case "none":
		lg.Status = StatusNone
	case "multiple":
		lg.Status = StatusMultiple
		lg.RecordDomain = l.Domain
	default:
		lg.Status = StatusFound
		lg.RecordDomain = l.Domain
	}
	disc.RFC7489 = lg

	if disc.Status != lg.Status || disc.RecordDomain != lg.RecordDomain {
		disc.RecordDiffers = true
		disc.Differences = append(disc.Differences, fmt.Sprintf("policy record: RFC 9989 tree walk finds %s, RFC 7489 finds %s", describeFound(disc.Status, disc.RecordDomain), describeFound(lg.Status, lg.RecordDomain)))
	}
	if lg.OrgDomain != org {
		disc.OrgDomainDiffers = true
		legacyOrg := lg.OrgDomain
		if legacyOrg == "" {
			legacyOrg = "none (" + d + " is a public suffix)"
		}
		disc.Differences = append(disc.Differences, fmt.Sprintf("organizational domain: RFC 9989 tree walk %s, RFC 7489 Public Suffix List %s", org, legacyOrg))
	}
	disc.ViewsDisagree = len(disc.Differences) > 0
	return disc, nil
}

func describeFound(status, domain string) string {
	switch status {
	case StatusFound:
		return "the record at _dmarc." + domain
	case StatusMultiple:
		return "several records at _dmarc." + domain + " (none applies)"
	}
	return "no record"
}
