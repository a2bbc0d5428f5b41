// Package dnssec checks whether the zone holding a domain is signed
// (DNSKEY), anchored at its parent (DS) and validated by the resolver (the AD
// bit): SPF, DKIM and DMARC records are only as trustworthy as the zone that
// serves them, and DANE for SMTP needs a signed zone.
package dnssec

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Check.
var (
	FindUnsigned = catalog.Define(finding.Spec{
		Code: "dnssec.unsigned", Severity: finding.Info,
		Title:   "the zone is not signed",
		Meaning: "The zone holding the domain publishes no DNSKEY records: its answers, including SPF, DKIM and DMARC records, cannot be validated, and DANE for SMTP (RFC 7672) is not possible. Informational unless a profile requires DNSSEC.",
		Fix:     "Enable DNSSEC signing at the DNS provider, then publish the DS record it gives you at the registrar.",
	})
	FindNoDS = catalog.Define(finding.Spec{
		Code: "dnssec.no-ds", Severity: finding.Warning,
		Title:   "signed zone without a DS record at the parent",
		Meaning: "The zone publishes DNSKEY records but its parent has no DS record for it, so the chain of trust is broken and validators treat the zone as unsigned.",
		Fix:     "Publish the DS record for the zone's key-signing key at the registrar (most DNS providers show it as \"DS record\" or \"DNSSEC details\").",
	})
	FindNotValidated = catalog.Define(finding.Spec{
		Code: "dnssec.not-validated", Severity: finding.Info,
		Title:   "answers were not validated",
		Meaning: "The zone looks signed (DNSKEY and DS present) but the resolver did not set the AD bit: either it does not validate DNSSEC, or it does not tell. The result of the other checks does not depend on it.",
		Fix:     "To confirm validation, run emailauth with a validating resolver (`--resolver` naming one); nothing needs to change in the zone.",
	})
)

// Result is the dnssec check of one domain.
type Result struct {
	Status   finding.Status
	Records  []string
	Findings finding.List
	Details  *Details
	// Error says why the check could not complete (status error).
	Error string
}

// Summary says in a few words what was found ("not signed", "signed, no
// DS at the parent", "signed and validated"), or "" when the check could
// not complete.
func (r *Result) Summary() string {
	d := r.Details
	switch {
	case r.Status == finding.StatusError || d == nil:
		return ""
	case !d.Signed:
		return "not signed"
	case !d.DS:
		return "signed, but no DS record at the parent: not anchored"
	case !d.Validated:
		return "signed, with a DS record; the resolver did not validate"
	}
	return "signed and validated"
}

func (r *Result) fail(err error) *Result {
	r.Status, r.Error, r.Findings = finding.StatusError, err.Error(), nil
	return r
}

// Details is the dnssec check's details in the report.
type Details struct {
	// Zone is the apex of the zone holding the domain.
	Zone string `json:"zone"`
	// Signed: the zone publishes DNSKEY records.
	Signed bool `json:"signed"`
	// DS: the parent publishes a DS record for the zone.
	DS bool `json:"ds"`
	// Validated: the resolver set the AD bit on the zone's answers.
	Validated bool `json:"validated"`
}

// Check finds the zone holding the domain and whether it is signed, has a
// DS record at its parent, and was validated by the resolver.
func Check(ctx context.Context, r dns.Resolver, domain string) *Result {
	res := &Result{Details: &Details{}}
	defer func() {
		finding.Sort(res.Findings)
		if res.Status == "" {
			res.Status = finding.Judge(res.Findings, true)
		}
	}()
	zone, soa, err := findZone(ctx, r, domain)
	if err != nil {
		return res.fail(err)
	}
	det := &Details{Zone: zone, Validated: soa != nil && soa.Authenticated}
	res.Details = det
	if zone == "" {
		res.Findings = append(res.Findings, FindUnsigned.New(
			fmt.Sprintf("no zone apex (SOA) was found for %s", domain), ""))
		return res
	}
	keys, err := r.Query(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return res.fail(err)
	}
	det.Signed = len(keys.Records) > 0
	det.Validated = det.Validated || keys.Authenticated
	for _, r := range keys.Records {
		res.Records = append(res.Records, zone+". DNSKEY "+r.Data)
	}
	if !det.Signed {
		res.Findings = append(res.Findings, FindUnsigned.New(
			fmt.Sprintf("the zone %s publishes no DNSKEY records", zone),
			"Enable DNSSEC at the DNS provider that serves "+zone+", then publish its DS record at the registrar."))
		return res
	}
	ds, err := r.Query(ctx, zone, dns.TypeDS)
	if err != nil {
		return res.fail(err)
	}
	det.DS = len(ds.Records) > 0
	switch {
	case !det.DS:
		res.Findings = append(res.Findings, FindNoDS.New(
			fmt.Sprintf("the zone %s is signed but its parent publishes no DS record for it", zone),
			"Publish the DS record of "+zone+"'s key-signing key at the registrar."))
	case !det.Validated:
		res.Findings = append(res.Findings, FindNotValidated.New(
			fmt.Sprintf("the zone %s is signed and has a DS record, but the resolver did not validate the answers (AD bit clear)", zone), ""))
	}
	return res
}

// findZone returns the apex of the zone holding name: the closest enclosing
// name that owns an SOA record. It returns "" when none is found.
func findZone(ctx context.Context, r dns.Resolver, name string) (string, *dns.Answer, error) {
	for n := name; n != ""; {
		a, err := r.Query(ctx, n, dns.TypeSOA)
		if err != nil {
			return "", nil, err
		}
		for _, rec := range a.Records {
			if rec.Type == dns.TypeSOA && rec.Name == n && len(a.CNAMEs) == 0 {
				return n, a, nil
			}
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	return "", nil, nil
}
