package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

var (
	parkedSPF = crossCatalog.Define(finding.Spec{
		Code: "mx.parked-spf", Severity: finding.Warning,
		Title:   "a domain that receives no mail should send none either",
		Meaning: "The domain publishes a null MX, so it is parked for mail, but its SPF record does not say that it sends no mail. Anyone can then send mail that appears to come from it.",
		Fix:     "Publish `DOMAIN. TXT \"v=spf1 -all\"` as the only SPF record.",
	})
	parkedDomain = crossCatalog.Define(finding.Spec{
		Code: "mx.parked", Severity: finding.Info,
		Title:   "a parked domain: it sends and receives no mail",
		Meaning: "The domain publishes a null MX (RFC 7505) and `v=spf1 -all`: it neither receives nor sends mail. M3AAWG's guidance for parked domains asks for exactly that, plus DMARC `p=reject`; it needs no DKIM key, MTA-STS policy or TLS-RPT record, so their absence is not reported.",
		Fix:     "Nothing to do while the domain stays parked. Keep `v=DMARC1; p=reject` published; a wildcard `*._domainkey` record `v=DKIM1; p=` may be added to make any DKIM signature fail at once.",
	})
	parkedDMARC = crossCatalog.Define(finding.Spec{
		Code: "mx.parked-dmarc", Severity: finding.Warning,
		Title:   "a parked domain should reject all mail in its name",
		Meaning: "The domain publishes a null MX but its DMARC policy is not reject, so receivers deliver mail that forges it.",
		Fix:     "Publish `_dmarc.DOMAIN. TXT \"v=DMARC1; p=reject\"`.",
	})
)

// crossCheck adds the findings that need more than one check's result. It
// runs after every check of the domain has finished, and says whether the
// domain is parked.
func crossCheck(d *domainState, results []*CheckResult) (parked bool) {
	by := map[string]*CheckResult{}
	for _, r := range results {
		if r != nil {
			by[r.Check] = r
		}
	}
	mx := by[CheckMX]
	if mx == nil || mx.Status == StatusSkip || mx.Status == StatusError || !d.mx.Parked() {
		return false
	}
	strictSPF := false
	if spf := by[CheckSPF]; spf != nil && spf.Status != StatusSkip && spf.Status != StatusError {
		strictSPF = len(spf.Records) == 1 && strings.EqualFold(strings.Join(strings.Fields(spf.Records[0]), " "), "v=spf1 -all")
		if !strictSPF {
			mx.Findings = append(mx.Findings, parkedSPF.New(
				fmt.Sprintf("%s receives no mail (null MX) but its SPF record does not forbid sending", d.domain),
				fmt.Sprintf("Publish `%s. TXT \"v=spf1 -all\"` as the only SPF record.", d.domain)))
		}
	}
	if o := d.dmarcRes; o != nil && o.res != nil && o.res.Policy != nil {
		if p := string(o.res.Policy.Applied); p != "reject" {
			mx.Findings = append(mx.Findings, parkedDMARC.New(
				fmt.Sprintf("%s receives no mail (null MX) but its DMARC policy is %s", d.domain, p),
				fmt.Sprintf("Publish `_dmarc.%s. TXT \"v=DMARC1; p=reject\"`.", d.domain)))
		}
	}
	if strictSPF {
		// Parked: it sends and receives nothing. What only a domain that
		// sends or receives needs is not reported missing.
		parked = true
		mx.Findings = append(mx.Findings, parkedDomain.New(
			fmt.Sprintf("%s is parked: it receives (null MX) and sends (v=spf1 -all) no mail", d.domain), ""))
		note := fmt.Sprintf("not needed: %s is parked (it sends and receives no mail)", d.domain)
		if dk := by[CheckDKIM]; dk != nil && len(d.c.opts.Selectors) == 0 && onlyCodes(dk, dkimkey.FindNoneFound) {
			dk.Status, dk.Error, dk.Findings = StatusSkip, note, finding.List{}
		}
		if tr := by[CheckTLSRPT]; tr != nil && onlyCodes(tr, tlsrpt.FindNoRecord) {
			tr.Status, tr.Error, tr.Findings = StatusSkip, note, finding.List{}
		}
	}
	finding.Sort(mx.Findings)
	mx.Status = finding.Judge(mx.Findings, true)
	return parked
}

// onlyCodes reports whether every finding of r above info has one of specs.
func onlyCodes(r *CheckResult, specs ...*finding.Spec) bool {
	for _, f := range r.Findings {
		if f.Severity == finding.Info {
			continue
		}
		if !slices.ContainsFunc(specs, func(s *finding.Spec) bool { return s.Code == f.Code }) {
			return false
		}
	}
	return true
}
