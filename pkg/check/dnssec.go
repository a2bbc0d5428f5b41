package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var (
	dnssecUnsigned = catalog.Define(finding.Spec{
		Code: "dnssec.unsigned", Severity: finding.Info,
		Title:   "the zone is not signed",
		Meaning: "The zone holding the domain publishes no DNSKEY records: its answers, including SPF, DKIM and DMARC records, cannot be validated, and DANE for SMTP (RFC 7672) is not possible. Informational unless a profile requires DNSSEC.",
		Fix:     "Enable DNSSEC signing at the DNS provider, then publish the DS record it gives you at the registrar.",
	})
	dnssecNoDS = catalog.Define(finding.Spec{
		Code: "dnssec.no-ds", Severity: finding.Warning,
		Title:   "signed zone without a DS record at the parent",
		Meaning: "The zone publishes DNSKEY records but its parent has no DS record for it, so the chain of trust is broken and validators treat the zone as unsigned.",
		Fix:     "Publish the DS record for the zone's key-signing key at the registrar (most DNS providers show it as \"DS record\" or \"DNSSEC details\").",
	})
	dnssecNotValidated = catalog.Define(finding.Spec{
		Code: "dnssec.not-validated", Severity: finding.Info,
		Title:   "answers were not validated",
		Meaning: "The zone looks signed (DNSKEY and DS present) but the resolver did not set the AD bit: either it does not validate DNSSEC, or it does not tell. The result of the other checks does not depend on it.",
		Fix:     "To confirm validation, run emailauth with a validating resolver (`--resolver` naming one); nothing needs to change in the zone.",
	})
)

// DNSSECDetails is the dnssec check's details.
type DNSSECDetails struct {
	// Zone is the apex of the zone holding the domain.
	Zone string `json:"zone"`
	// Signed: the zone publishes DNSKEY records.
	Signed bool `json:"signed"`
	// DS: the parent publishes a DS record for the zone.
	DS bool `json:"ds"`
	// Validated: the resolver set the AD bit on the zone's answers.
	Validated bool `json:"validated"`
}

func init() { registry[CheckDNSSEC] = checkDNSSEC }

func checkDNSSEC(ctx context.Context, d *domainState) *CheckResult {
	zone, soa, err := findZone(ctx, d.c.r, d.domain)
	if err != nil {
		return errorResult(err)
	}
	det := &DNSSECDetails{Zone: zone, Validated: soa != nil && soa.Authenticated}
	res := &CheckResult{Details: det}
	if zone == "" {
		res.Findings = append(res.Findings, dnssecUnsigned.New(
			fmt.Sprintf("no zone apex (SOA) was found for %s", d.domain), ""))
		return res
	}
	keys, err := d.c.r.Query(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return errorResult(err)
	}
	det.Signed = len(keys.Records) > 0
	det.Validated = det.Validated || keys.Authenticated
	for _, r := range keys.Records {
		res.Records = append(res.Records, zone+". DNSKEY "+r.Data)
	}
	if !det.Signed {
		res.Findings = append(res.Findings, dnssecUnsigned.New(
			fmt.Sprintf("the zone %s publishes no DNSKEY records", zone),
			"Enable DNSSEC at the DNS provider that serves "+zone+", then publish its DS record at the registrar."))
		return res
	}
	ds, err := d.c.r.Query(ctx, zone, dns.TypeDS)
	if err != nil {
		return errorResult(err)
	}
	det.DS = len(ds.Records) > 0
	switch {
	case !det.DS:
		res.Findings = append(res.Findings, dnssecNoDS.New(
			fmt.Sprintf("the zone %s is signed but its parent publishes no DS record for it", zone),
			"Publish the DS record of "+zone+"'s key-signing key at the registrar."))
	case !det.Validated:
		res.Findings = append(res.Findings, dnssecNotValidated.New(
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
