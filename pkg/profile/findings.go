package profile

import (
	"github.com/penguinmails/emailauth/pkg/finding"
)

var catalog finding.Catalog

// Findings returns the catalogue of the profile check's codes.
func Findings() []*finding.Spec { return catalog.Specs() }

// levelNote is said of every requirement's code: its severity is the
// profile's level, not the catalogue's.
const levelNote = " Its severity is the requirement's level in the profile: critical gives an error, advisory a warning, optional a note."

// The requirements' codes: one per requirement, "profile.<requirement>".
var (
	FindSPFRecord = catalog.Define(finding.Spec{
		Code: "profile.spf-record", Severity: finding.Error,
		Title:   "the domain's SPF records cannot take the platform's include",
		Meaning: "The domain has no SPF record, or several, or one that does not parse, so it cannot carry what the platform requires." + levelNote,
		Fix:     "Publish exactly one SPF record with the platform's includes; `emailauth records DOMAIN --profile FILE` prints it, merged with the domain's own terms.",
	})
	FindSPFInclude = catalog.Define(finding.Spec{
		Code: "profile.spf-include", Severity: finding.Error,
		Title:   "the SPF record lacks an include the platform requires",
		Meaning: "Mail the platform sends for the domain fails SPF: the record does not reach the platform's include, directly or through the domain's own includes." + levelNote,
		Fix:     "Add the include to the domain's one SPF record, before its `all`; the fix names the merged record.",
	})
	FindSPFAll = catalog.Define(finding.Spec{
		Code: "profile.spf-all", Severity: finding.Error,
		Title:   "the SPF record's all is not what the platform allows",
		Meaning: "The record ends in an `all` weaker than `~all` (`?all`, `+all`, or none), or stronger than the strongest the platform allows." + levelNote,
		Fix:     "End the record with the `all` the profile names (`spf.all`).",
	})
	FindSPFBudget = catalog.Define(finding.Spec{
		Code: "profile.spf-budget", Severity: finding.Warning,
		Title:   "the SPF lookup budget is not kept",
		Meaning: "The platform promises to leave its tenants a number of the 10 DNS lookups (`spf.lookup_budget`): either its own includes now cost more than that allows, or the tenant's own terms cost more than the budget, so a change on either side takes the record over the limit (permerror)." + levelNote,
		Fix:     "The platform trims its include tree, or the tenant replaces its own costly terms (ip4:/ip6: for a and mx, flattening its own includes, never the platform's).",
	})
	FindDKIMSelector = catalog.Define(finding.Spec{
		Code: "profile.dkim-selector", Severity: finding.Error,
		Title:   "a DKIM selector the platform signs with has no usable key",
		Meaning: "The platform signs the domain's mail with this selector, but no key is published there (or it is revoked or does not parse): receivers cannot verify the signatures." + levelNote,
		Fix:     "Publish the selector's key record (or its CNAME, for a platform that hosts the keys); `emailauth records` prints it, and `--generate-dkim DIR` makes the key.",
	})
	FindDKIMCNAME = catalog.Define(finding.Spec{
		Code: "profile.dkim-cname", Severity: finding.Error,
		Title:   "a DKIM selector is not delegated where the platform hosts it",
		Meaning: "The platform publishes the key and rotates it; the domain must delegate the selector to it with a CNAME. The selector is not an alias, or points somewhere else." + levelNote,
		Fix:     "Publish the CNAME the fix names, and delete any TXT record at the selector.",
	})
	FindDKIMKey = catalog.Define(finding.Spec{
		Code: "profile.dkim-key", Severity: finding.Error,
		Title:   "a DKIM selector publishes another key than the platform's",
		Meaning: "The profile or the tenants file pins the public key of this selector, and the key published is a different one: the platform's signatures fail." + levelNote,
		Fix:     "Publish the record with the pinned key, which the fix names.",
	})
	FindDKIMKeySize = catalog.Define(finding.Spec{
		Code: "profile.dkim-key-size", Severity: finding.Error,
		Title:   "a DKIM key is smaller than the platform requires",
		Meaning: "The key published at the selector has fewer bits than `dkim.min_bits`." + levelNote,
		Fix:     "Generate a larger key (`emailauth records DOMAIN --profile FILE --generate-dkim DIR --force`) and publish its record.",
	})
	FindDMARCRecord = catalog.Define(finding.Spec{
		Code: "profile.dmarc-record", Severity: finding.Error,
		Title:   "the domain has no usable DMARC record",
		Meaning: "No DMARC record applies to the domain, or several do (receivers then ignore them all), so none of the platform's DMARC requirements can be met." + levelNote,
		Fix:     "Publish the record the fix names at `_dmarc.DOMAIN`.",
	})
	FindDMARCPolicy = catalog.Define(finding.Spec{
		Code: "profile.dmarc-policy", Severity: finding.Error,
		Title:   "the DMARC policy is weaker than the platform requires",
		Meaning: "The policy applied to the domain's mail (p, or sp for a subdomain under its parent's record) is weaker than `dmarc.policy`." + levelNote,
		Fix:     "Raise p in the DMARC record, keeping its other tags; the fix names the record.",
	})
	FindDMARCSubdomainPolicy = catalog.Define(finding.Spec{
		Code: "profile.dmarc-subdomain-policy", Severity: finding.Error,
		Title:   "the DMARC subdomain policy is weaker than the platform requires",
		Meaning: "The policy for subdomains (sp, else p) is weaker than `dmarc.subdomain_policy`." + levelNote,
		Fix:     "Set sp in the DMARC record; the fix names the record.",
	})
	FindDMARCRUA = catalog.Define(finding.Spec{
		Code: "profile.dmarc-rua", Severity: finding.Error,
		Title:   "the platform's aggregate-report address is not among rua",
		Meaning: "The platform reads the domain's aggregate reports to watch its deliverability; the record does not send them there." + levelNote,
		Fix:     "Add the address to rua, keeping the domain's own; the fix names the record.",
	})
	FindDMARCRUF = catalog.Define(finding.Spec{
		Code: "profile.dmarc-ruf", Severity: finding.Error,
		Title:   "the platform's failure-report address is not among ruf",
		Meaning: "The profile requires failure reports to go to the platform; the record does not send them there." + levelNote,
		Fix:     "Add the address to ruf; the fix names the record.",
	})
	FindDMARCFO = catalog.Define(finding.Spec{
		Code: "profile.dmarc-fo", Severity: finding.Error,
		Title:   "the DMARC failure-reporting options differ from the platform's",
		Meaning: "The profile requires failure-reporting options (fo) the record does not have." + levelNote,
		Fix:     "Set fo as the fix says.",
	})
	FindDMARCTesting = catalog.Define(finding.Spec{
		Code: "profile.dmarc-testing", Severity: finding.Error,
		Title:   "the DMARC policy is in testing mode",
		Meaning: "The record has pct below 100 or t=y, so receivers apply a weaker policy to some or all mail; the profile does not allow testing (`dmarc.allow_testing: false`)." + levelNote,
		Fix:     "Remove pct and t=y from the record; the fix names the record.",
	})
	FindDMARCAlignment = catalog.Define(finding.Spec{
		Code: "profile.dmarc-alignment", Severity: finding.Error,
		Title:   "the DMARC alignment mode is not the platform's",
		Meaning: "The profile requires strict alignment (adkim=s or aspf=s) and the record has relaxed alignment." + levelNote,
		Fix:     "Set adkim=s or aspf=s in the record; the fix names the record.",
	})
	FindMX = catalog.Define(finding.Spec{
		Code: "profile.mx", Severity: finding.Error,
		Title:   "the domain does not list the platform's mail exchangers",
		Meaning: "The platform receives mail for its tenants, and an exchange it requires is missing from the domain's MX records (or the domain publishes a null MX)." + levelNote,
		Fix:     "Publish the MX records the fix names.",
	})
	FindMTASTS = catalog.Define(finding.Spec{
		Code: "profile.mta-sts", Severity: finding.Warning,
		Title:   "the domain has no valid MTA-STS record",
		Meaning: "The profile asks for MTA-STS (RFC 8461) and `_mta-sts.DOMAIN` has no valid record." + levelNote,
		Fix:     "Publish the record the fix names, and serve the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt.",
	})
	FindTLSRPT = catalog.Define(finding.Spec{
		Code: "profile.tls-rpt", Severity: finding.Warning,
		Title:   "the domain has no TLS-RPT record with the platform's address",
		Meaning: "The profile asks for TLS reporting (RFC 8460), to the platform's address where it names one; `_smtp._tls.DOMAIN` has no valid record, or not with that address." + levelNote,
		Fix:     "Publish the record the fix names.",
	})
	FindBIMI = catalog.Define(finding.Spec{
		Code: "profile.bimi", Severity: finding.Info,
		Title:   "the domain has no BIMI record",
		Meaning: "The profile mentions BIMI and the domain publishes no record at the selector." + levelNote,
		Fix:     "Publish a BIMI record once the domain's logo (SVG Tiny PS) and, for most mailbox providers, a mark certificate are ready: `default._bimi.DOMAIN TXT \"v=BIMI1; l=https://...; a=https://...\"`.",
	})

	FindWaiverExpired = catalog.Define(finding.Spec{
		Code: "profile.waiver-expired", Severity: finding.Warning,
		Title:   "a waiver has expired",
		Meaning: "The tenants file waives a requirement for this domain until a date that has passed: the requirement applies again, and its own finding says whether it is met.",
		Fix:     "Meet the requirement, or renew the waiver in the tenants file with a new `expires` date and the reason.",
	})
	FindWaiverUnused = catalog.Define(finding.Spec{
		Code: "profile.waiver-unused", Severity: finding.Info,
		Title:   "a waiver is no longer needed",
		Meaning: "The tenants file waives a requirement that the domain now meets.",
		Fix:     "Remove the waiver from the tenants file.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "profile.dns-error", Severity: finding.Error, Transient: true,
		Title:   "a requirement could not be checked",
		Meaning: "A DNS lookup needed to check the requirement failed (a timeout, SERVFAIL, REFUSED, a lame name server): nothing is known about it. This is not a failure of the domain.",
		Fix:     "Retry later; if it persists, make the domain's name servers answer (`emailauth check --authoritative DOMAIN` shows each one).",
	})
)

// requirement describes one requirement of a profile.
type requirement struct {
	name    string
	section string // the profile section whose level applies
	def     Level  // the level when neither the section nor levels sets one
	spec    *finding.Spec
}

// requirements lists every requirement, in report order.
var requirements = []requirement{
	{"spf-record", "spf", Critical, FindSPFRecord},
	{"spf-include", "spf", Critical, FindSPFInclude},
	{"spf-all", "spf", Critical, FindSPFAll},
	{"spf-budget", "spf", Advisory, FindSPFBudget},
	{"dkim-selector", "dkim", Critical, FindDKIMSelector},
	{"dkim-cname", "dkim", Critical, FindDKIMCNAME},
	{"dkim-key", "dkim", Critical, FindDKIMKey},
	{"dkim-key-size", "dkim", Critical, FindDKIMKeySize},
	{"dmarc-record", "dmarc", Critical, FindDMARCRecord},
	{"dmarc-policy", "dmarc", Critical, FindDMARCPolicy},
	{"dmarc-subdomain-policy", "dmarc", Critical, FindDMARCSubdomainPolicy},
	{"dmarc-rua", "dmarc", Critical, FindDMARCRUA},
	{"dmarc-ruf", "dmarc", Critical, FindDMARCRUF},
	{"dmarc-fo", "dmarc", Critical, FindDMARCFO},
	{"dmarc-testing", "dmarc", Critical, FindDMARCTesting},
	{"dmarc-alignment", "dmarc", Critical, FindDMARCAlignment},
	{"mx", "mx", Critical, FindMX},
	{"mta-sts", "mta_sts", Advisory, FindMTASTS},
	{"tls-rpt", "tls_rpt", Advisory, FindTLSRPT},
	{"bimi", "bimi", Optional, FindBIMI},
}

func requirementByName(name string) (requirement, bool) {
	for _, r := range requirements {
		if r.name == name {
			return r, true
		}
	}
	return requirement{}, false
}

// RequirementNames returns every requirement's name, in report order.
func RequirementNames() []string {
	out := make([]string, len(requirements))
	for i, r := range requirements {
		out[i] = r.name
	}
	return out
}
