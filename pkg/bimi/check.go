package bimi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/internal/txtrec"
)

// DefaultSelector is the selector used when none is given.
const DefaultSelector = "default"

// DMARC is what the caller's DMARC check found for the domain: the policy
// of the DMARC record that applies to it (its own, or the organizational
// domain's). BIMI requires DMARC at enforcement (draft §2 and §7.1): p=
// quarantine (at 100%) or reject, and no sp=none.
type DMARC struct {
	// Checked is false when the DMARC result is unknown (the DMARC check
	// did not run or could not complete); the cross-check is then reported
	// as not done, never as passed.
	Checked bool `json:"checked"`
	// Found is true when a valid DMARC record applies to the domain.
	Found bool `json:"found"`
	// RecordDomain is the domain whose _dmarc record applies: the domain
	// itself, or its organizational domain. "" means the domain itself.
	RecordDomain string `json:"record_domain,omitempty"`
	// P and SP are the p= and sp= values ("none", "quarantine", "reject";
	// SP "" when absent).
	P  string `json:"p"`
	SP string `json:"sp,omitempty"`
	// Pct is the pct= value; nil when absent (which means 100).
	Pct *int `json:"pct,omitempty"`
	// Testing is the DMARCbis t=y flag (policy in test mode).
	Testing bool `json:"testing,omitempty"`
	// OrgDomain is the organizational domain of the checked domain
	// (RFC 7489 §3.2), for the fallback lookup at
	// <selector>._bimi.<OrgDomain> (draft §7.2 step 6). "" or the domain
	// itself means no fallback.
	OrgDomain string `json:"org_domain,omitempty"`
}

// Result is the outcome of Check.
type Result struct {
	Domain   string `json:"domain"`
	Selector string `json:"selector"`
	// Status is judged from the findings (finding.Judge); skip when no
	// BIMI record was found and nothing is wrong (BIMI is optional), error
	// when the domain or the selector is not valid.
	Status finding.Status `json:"status"`
	// Queried are the names asked, in order (the author domain's, then the
	// organizational domain's on fallback).
	Queried []string `json:"queried"`
	// RecordName is where the record was found ("" when none was).
	RecordName string `json:"record_name"`
	// FromOrgDomain is true when the record was found by the fallback to
	// the organizational domain.
	FromOrgDomain bool `json:"from_org_domain"`
	// Records are the TXT records found at the name(s) asked.
	Records []string `json:"records"`
	// Record is the BIMI record, parsed (partly, when invalid).
	Record *Record `json:"record,omitempty"`
	// Valid is true when exactly one valid BIMI record was found.
	Valid    bool `json:"valid"`
	Declined bool `json:"declined"`
	// DMARCEnforced is true when the DMARC policy given meets BIMI's
	// requirement (only meaningful when DMARCChecked).
	DMARCEnforced bool `json:"dmarc_enforced"`
	DMARCChecked  bool `json:"dmarc_checked"`
	// AssetsChecked is false: the logo (SVG) and the mark certificate are
	// not fetched nor validated yet.
	AssetsChecked bool         `json:"assets_checked"`
	Findings      finding.List `json:"findings"`
	Error         string       `json:"error,omitempty"`
}

// Check finds and checks the BIMI record of domain for a selector ("" means
// "default"): it asks <selector>._bimi.<domain>, then, when that holds no
// BIMI record, <selector>._bimi.<org domain> (dm.OrgDomain). It checks the
// record and cross-checks the DMARC policy given in dm.
func Check(ctx context.Context, r dns.Resolver, domain, selector string, dm DMARC) *Result {
	if selector == "" {
		selector = DefaultSelector
	}
	res := &Result{Domain: dns.CanonicalName(domain), Selector: strings.ToLower(selector), Queried: []string{}, Records: []string{}, Findings: finding.List{}}
	if err := dns.CheckName(domain); err != nil || strings.HasPrefix(domain, ".") {
		if err == nil {
			err = fmt.Errorf("the name begins with a dot")
		}
		res.Domain, res.Status, res.Error = domain, finding.StatusError, fmt.Sprintf("bimi: %v", err)
		res.add(FindInvalidDomain.New(fmt.Sprintf("%q is not a valid domain name: %v", domain, err), "give a domain name such as example.com"))
		return res
	}
	if !ValidSelector(selector) {
		res.Status, res.Error = finding.StatusError, fmt.Sprintf("bimi: invalid selector %q", selector)
		res.add(FindInvalidSelector.New(fmt.Sprintf("the selector %q is not valid: a selector is dot-separated labels of letters, digits and \"-\"", selector), "give a selector such as default or brand2"))
		return res
	}
	names := []string{res.Selector + "._bimi." + res.Domain}
	if org := dns.CanonicalName(dm.OrgDomain); org != "" && org != res.Domain {
		names = append(names, res.Selector+"._bimi."+org)
	}
	var cands []string
	for i, name := range names {
		res.Queried = append(res.Queried, name)
		ans, err := r.Query(ctx, name, dns.TypeTXT)
		if err != nil {
			res.Error = fmt.Sprintf("bimi: TXT lookup for %s failed: %v", name, err)
			res.add(FindDNSError.New(fmt.Sprintf("the TXT lookup for %s failed: %v", name, err), "make the name servers answer TXT queries for "+name+", then check again").WithName(name))
			res.judge()
			return res
		}
		txts := ans.TXT()
		res.Records = append(res.Records, txts...)
		for _, t := range txts {
			if IsRecord(t) {
				cands = append(cands, t)
			} else if txtrec.LooksVersioned(t, "bimi") {
				_, perr := ParseRecord(t)
				msg := fmt.Sprintf("the TXT record %q at %s is not a BIMI record", txtrec.Abbreviate(t, 80), name)
				var se *SyntaxError
				if errors.As(perr, &se) {
					msg += ": " + se.Problems[0].Message
				}
				res.add(FindBadVersion.New(msg+"; receivers discard it", "replace it with "+suggest(name, t)).WithName(name))
			}
		}
		if len(cands) > 0 {
			res.RecordName = name
			res.FromOrgDomain = i > 0
			break
		}
	}
	if len(cands) == 0 {
		if len(res.Findings) == 0 {
			res.add(FindNoRecord.New(fmt.Sprintf("no BIMI record at %s", strings.Join(res.Queried, " nor ")),
				fmt.Sprintf("to show your logo, publish %s (with DMARC at p=quarantine or p=reject)", suggest(names[0], ""))).WithName(names[0]))
		}
		res.finish(dm, false)
		return res
	}
	if res.FromOrgDomain {
		res.add(FindOrgFallback.New(fmt.Sprintf("no BIMI record at %s; the record at %s (the organizational domain) applies", res.Queried[0], res.RecordName), "").WithName(res.RecordName))
	}
	if len(cands) > 1 {
		res.add(FindMultipleRecords.New(fmt.Sprintf("%d BIMI records at %s; receivers then show no logo", len(cands), res.RecordName),
			"keep only one: "+suggest(res.RecordName, cands[0])).WithName(res.RecordName))
	}
	rec, err := ParseRecord(cands[0])
	res.Record = rec
	res.Valid = err == nil && len(cands) == 1
	res.Declined = err == nil && rec.Declined
	fix := "publish " + suggest(res.RecordName, cands[0])
	var se *SyntaxError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			res.add(p.Spec.New(res.RecordName+": "+p.Message, fix).WithName(res.RecordName))
		}
	}
	for _, p := range rec.Warnings {
		res.add(p.Spec.New(res.RecordName+": "+p.Message, fix).WithName(res.RecordName))
	}
	if res.Declined {
		res.add(FindDeclined.New(res.RecordName+" declines BIMI (l= and a= are empty): no logo is shown for this selector", "").WithName(res.RecordName))
		res.finish(dm, false)
		return res
	}
	if rec.Location != "" && rec.Evidence == "" && err == nil {
		res.add(FindNoEvidence.New(res.RecordName+" has no mark certificate (a= is empty): Gmail and Apple Mail show the logo only with a VMC or CMC",
			"to have the logo shown by them, obtain a VMC or CMC and add a=https://.../vmc.pem to "+res.RecordName).WithName(res.RecordName))
	}
	if rec.Location != "" || rec.Evidence != "" {
		res.add(FindAssetsNotChecked.New("the logo (l=) and the mark certificate (a=) were not fetched nor validated; only the DNS record was checked", ""))
	}
	res.finish(dm, true)
	return res
}

// checkDMARC cross-checks the DMARC policy (draft §7.1 steps 7 to 9).
func (res *Result) checkDMARC(dm DMARC) {
	res.DMARCChecked = dm.Checked
	dmarcName := "_dmarc." + res.Domain
	if rd := dns.CanonicalName(dm.RecordDomain); rd != "" {
		dmarcName = "_dmarc." + rd
	}
	if !dm.Checked {
		res.add(FindDMARCNotChecked.New("the DMARC policy was not known, so BIMI's requirement of DMARC enforcement was not checked", "run the DMARC check with the BIMI check"))
		return
	}
	if !dm.Found {
		res.add(FindDMARCMissing.New(fmt.Sprintf("%s has no DMARC record; receivers show no BIMI logo without DMARC enforcement", res.Domain),
			fmt.Sprintf("publish %s. TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@%s\" (or p=reject)", dmarcName, res.Domain)).WithName(dmarcName))
		return
	}
	enforced := true
	p, sp := strings.ToLower(dm.P), strings.ToLower(dm.SP)
	switch p {
	case "none", "":
		enforced = false
		res.add(FindDMARCNone.New(fmt.Sprintf("the DMARC policy at %s is p=%s; receivers ignore the BIMI record unless p is quarantine or reject", dmarcName, orNone(p)),
			fmt.Sprintf("in the TXT record at %s, change p=%s to p=quarantine (or p=reject), once your DMARC reports show all your mail passes", dmarcName, orNone(p))).WithName(dmarcName))
	case "quarantine":
		if dm.Pct != nil && *dm.Pct != 100 {
			enforced = false
			res.add(FindDMARCPct.New(fmt.Sprintf("the DMARC policy at %s is p=quarantine with pct=%d; BIMI requires quarantine at 100%%", dmarcName, *dm.Pct),
				fmt.Sprintf("in the TXT record at %s, remove pct=%d (or set pct=100)", dmarcName, *dm.Pct)).WithName(dmarcName))
		}
	case "reject":
		if dm.Pct != nil && *dm.Pct != 100 {
			res.add(FindDMARCRejectPct.New(fmt.Sprintf("the DMARC policy at %s is p=reject with pct=%d; the BIMI draft accepts it, but some mailbox providers want pct=100", dmarcName, *dm.Pct),
				fmt.Sprintf("in the TXT record at %s, remove pct=%d (or set pct=100)", dmarcName, *dm.Pct)).WithName(dmarcName))
		}
	}
	if sp == "none" {
		enforced = false
		res.add(FindDMARCSubdomainNone.New(fmt.Sprintf("the DMARC record at %s has sp=none; receivers do not apply BIMI when a subdomain policy is none", dmarcName),
			fmt.Sprintf("in the TXT record at %s, change sp=none to sp=quarantine (or sp=reject), or remove sp=", dmarcName)).WithName(dmarcName))
	}
	if dm.Testing && (p == "quarantine" || p == "reject") {
		enforced = false
		res.add(FindDMARCTesting.New(fmt.Sprintf("the DMARC record at %s has t=y (test mode): the policy is not enforced", dmarcName),
			fmt.Sprintf("in the TXT record at %s, remove t=y", dmarcName)).WithName(dmarcName))
	}
	res.DMARCEnforced = enforced
}

func orNone(p string) string {
	if p == "" {
		return "(missing)"
	}
	return p
}

func (res *Result) add(f finding.Finding) { res.Findings = append(res.Findings, f) }

func (res *Result) finish(dm DMARC, crossCheck bool) {
	if crossCheck {
		res.checkDMARC(dm)
	}
	res.judge()
}

// judge sorts the findings and derives the status. The check is complete
// unless a lookup failed (res.Error); a domain without a BIMI record and
// with nothing wrong is skipped: BIMI is optional.
func (res *Result) judge() {
	finding.Sort(res.Findings)
	res.Status = finding.Judge(res.Findings, res.Error == "")
	if res.Status == finding.StatusPass && res.RecordName == "" {
		res.Status = finding.StatusSkip
	}
}

// suggest writes the record to publish at name, keeping the usable l= and
// a= of txt.
func suggest(name, txt string) string {
	l, a := "", ""
	if txt != "" {
		for _, part := range strings.Split(txt, ";") {
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			k, v = strings.ToLower(strings.Trim(k, wsp)), strings.Trim(v, wsp)
			ok = !strings.Contains(v, ",") && strings.HasPrefix(strings.ToLower(v), "https://")
			switch {
			case k == "l" && ok && l == "":
				l = v
			case k == "a" && ok && a == "":
				a = v
			}
		}
	}
	_, domain, _ := strings.Cut(name, "._bimi.")
	if l == "" {
		l = "https://" + domain + "/bimi/logo.svg"
	}
	s := fmt.Sprintf("%s. TXT \"v=BIMI1; l=%s", name, l)
	if a == "" {
		a = "https://" + domain + "/bimi/vmc.pem"
		return s + "\" (and a=" + a + " once you hold a mark certificate)"
	}
	return s + "; a=" + a + "\""
}
