package check

import (
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
)

var (
	parkedSPF = crossCatalog.Define(finding.Spec{
		Code: "mx.parked-spf", Severity: finding.Warning,
		Title:   "a domain that receives no mail should send none either",
		Meaning: "The domain publishes a null MX, so it is parked for mail, but its SPF record does not say that it sends no mail. Anyone can then send mail that appears to come from it.",
		Fix:     "Publish `DOMAIN. TXT \"v=spf1 -all\"` as the only SPF record.",
	})
	parkedDMARC = crossCatalog.Define(finding.Spec{
		Code: "mx.parked-dmarc", Severity: finding.Warning,
		Title:   "a parked domain should reject all mail in its name",
		Meaning: "The domain publishes a null MX but its DMARC policy is not reject, so receivers deliver mail that forges it.",
		Fix:     "Publish `_dmarc.DOMAIN. TXT \"v=DMARC1; p=reject\"`.",
	})
)

// crossCheck adds the findings that need more than one check's result. It
// runs after every check of the domain has finished.
func crossCheck(d *domainState, results []*CheckResult) {
	by := map[string]*CheckResult{}
	for _, r := range results {
		if r != nil {
			by[r.Check] = r
		}
	}
	mx := by[CheckMX]
	if mx == nil || mx.Status == StatusSkip || mx.Status == StatusError || !d.mx.Parked() {
		return
	}
	if spf := by[CheckSPF]; spf != nil && spf.Status != StatusSkip && spf.Status != StatusError {
		strict := len(spf.Records) == 1 && strings.EqualFold(strings.Join(strings.Fields(spf.Records[0]), " "), "v=spf1 -all")
		if !strict {
			mx.Findings = append(mx.Findings, parkedSPF.New(
				fmt.Sprintf("%s receives no mail (null MX) but its SPF record does not forbid sending", d.domain),
				fmt.Sprintf("Publish `%s. TXT \"v=spf1 -all\"` as the only SPF record.", d.domain)))
		}
	}
	if p := d.dmarcPolicy; p != "" && p != "reject" {
		mx.Findings = append(mx.Findings, parkedDMARC.New(
			fmt.Sprintf("%s receives no mail (null MX) but its DMARC policy is %s", d.domain, p),
			fmt.Sprintf("Publish `_dmarc.%s. TXT \"v=DMARC1; p=reject\"`.", d.domain)))
	}
	finding.Sort(mx.Findings)
	mx.Status = finding.Judge(mx.Findings, true)
}
