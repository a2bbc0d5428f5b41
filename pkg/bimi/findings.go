package bimi

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Check; Problem.Spec is one of the record findings.
var (
	FindInvalidDomain = catalog.Define(finding.Spec{
		Code: "bimi.invalid-domain", Severity: finding.Error,
		Title:   "the domain name is not valid",
		Meaning: "The name given to the check is not a syntactically valid domain name, so nothing could be looked up.",
		Fix:     "Give a domain name such as `example.com`.",
	})
	FindInvalidSelector = catalog.Define(finding.Spec{
		Code: "bimi.invalid-selector", Severity: finding.Error,
		Title:   "the BIMI selector is not valid",
		Meaning: "A BIMI selector is one or more DNS labels of letters, digits and `-` separated by dots (draft §4.4).",
		Fix:     "Give a selector such as `default` or `brand2`.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "bimi.dns-error", Severity: finding.Error, Transient: true,
		Title:   "the BIMI lookup failed",
		Meaning: "The TXT query for `SELECTOR._bimi.DOMAIN` timed out or was answered with SERVFAIL or REFUSED. The check could not complete.",
		Fix:     "Check that the domain's name servers answer TXT queries for the name in the message, then run the check again.",
	})
	FindNoRecord = catalog.Define(finding.Spec{
		Code: "bimi.no-record", Severity: finding.Info,
		Title:   "no BIMI record",
		Meaning: "No TXT record beginning with `v=BIMI1` was found at `SELECTOR._bimi.DOMAIN`, nor at the organizational domain. BIMI is optional: without it, mailbox providers show no brand logo next to your mail.",
		Fix:     "To show a logo, publish `default._bimi.DOMAIN. TXT \"v=BIMI1; l=https://DOMAIN/bimi/logo.svg; a=https://DOMAIN/bimi/vmc.pem\"` with an SVG Tiny PS logo, a mark certificate (VMC or CMC) for Gmail and Apple Mail, and DMARC at `p=quarantine` or `p=reject`.",
	})
	FindOrgFallback = catalog.Define(finding.Spec{
		Code: "bimi.org-fallback", Severity: finding.Info,
		Title:   "the BIMI record comes from the organizational domain",
		Meaning: "The domain has no BIMI record of its own for the selector, so receivers use the one of its organizational domain (draft §7.2 step 6).",
		Fix:     "Nothing to do if the organizational domain's logo is meant for this domain; otherwise publish a record (or a declination, `v=BIMI1; l=; a=;`) at `SELECTOR._bimi.DOMAIN`.",
	})
	FindMultipleRecords = catalog.Define(finding.Spec{
		Code: "bimi.multiple-records", Severity: finding.Error,
		Title:   "more than one BIMI record",
		Meaning: "More than one TXT record at the same name begins with `v=BIMI1`. Receivers then stop and show no logo (draft §7.2 step 9).",
		Fix:     "Keep exactly one `v=BIMI1` record at the name.",
	})
	FindBadVersion = catalog.Define(finding.Spec{
		Code: "bimi.bad-version", Severity: finding.Error,
		Title:   "the BIMI record has a wrong version",
		Meaning: "A TXT record looks like a BIMI record but does not begin with `v=BIMI1` exactly (the value is case-sensitive and the tag comes first). Receivers discard it and must not fix capitalization.",
		Fix:     "Begin the record with `v=BIMI1;`.",
	})
	FindSyntax = catalog.Define(finding.Spec{
		Code: "bimi.syntax", Severity: finding.Error,
		Title:   "the BIMI record is malformed",
		Meaning: "The record is not a valid tag list (`tag=value` separated by `;`, each tag once). Receivers treat it as an error.",
		Fix:     "Publish the record as `v=BIMI1; l=https://...logo.svg; a=https://...vmc.pem`.",
	})
	FindBadTagValue = catalog.Define(finding.Spec{
		Code: "bimi.bad-tag-value", Severity: finding.Warning,
		Title:   "a BIMI tag has an unknown value",
		Meaning: "`lps=` takes `true` or `false`, `avp=` takes `brand` or `personal`. Receivers ignore other values, and some treat the record as failing.",
		Fix:     "Correct the value or remove the tag.",
	})
	FindNoLocation = catalog.Define(finding.Spec{
		Code: "bimi.no-location", Severity: finding.Error,
		Title:   "the BIMI record has no l= tag",
		Meaning: "`l=` is required: it gives the URL of the logo (or is empty to decline). Without it receivers find no logo.",
		Fix:     "Add `l=https://DOMAIN/bimi/logo.svg` with the URL of your SVG Tiny PS logo.",
	})
	FindLocationNotHTTPS = catalog.Define(finding.Spec{
		Code: "bimi.location-not-https", Severity: finding.Error,
		Title:   "the BIMI logo URL is not https",
		Meaning: "The only transport BIMI allows for the logo is HTTPS.",
		Fix:     "Serve the logo over HTTPS and give its `https://` URL in `l=`.",
	})
	FindLocationInvalid = catalog.Define(finding.Spec{
		Code: "bimi.location-invalid", Severity: finding.Error,
		Title:   "the BIMI logo URL is not valid",
		Meaning: "`l=` must be empty or a single absolute URL with a fully qualified host name; commas inside it must be encoded.",
		Fix:     "Give one URL such as `l=https://example.com/bimi/logo.svg`.",
	})
	FindLocationNotSVG = catalog.Define(finding.Spec{
		Code: "bimi.location-not-svg", Severity: finding.Warning,
		Title:   "the BIMI logo URL does not end in .svg",
		Meaning: "The logo must be an SVG (Tiny PS profile) file; receivers treat an l= URL with another suffix as a permanent error (draft §4.3.2).",
		Fix:     "Publish the logo as an SVG Tiny PS file whose URL ends in `.svg`.",
	})
	FindEvidenceNotHTTPS = catalog.Define(finding.Spec{
		Code: "bimi.evidence-not-https", Severity: finding.Error,
		Title:   "the BIMI certificate URL is not https",
		Meaning: "The `a=` tag points to the mark certificate (VMC or CMC) that receivers fetch to decide whether to show the logo; it must be an `https:` URL, and receivers ignore an evidence document fetched any other way.",
		Fix:     "Serve the mark certificate (PEM) over HTTPS and give its `https://` URL in `a=`.",
	})
	FindEvidenceInvalid = catalog.Define(finding.Spec{
		Code: "bimi.evidence-invalid", Severity: finding.Error,
		Title:   "the BIMI certificate URL is not valid",
		Meaning: "`a=` must be empty or a single absolute URL with a fully qualified host name.",
		Fix:     "Give one URL such as `a=https://example.com/bimi/vmc.pem`.",
	})
	FindNoEvidence = catalog.Define(finding.Spec{
		Code: "bimi.no-evidence", Severity: finding.Info,
		Title:   "the BIMI record has no mark certificate",
		Meaning: "`a=` is empty or absent. Some receivers show the logo without evidence, but Gmail and Apple Mail require a Verified Mark Certificate (VMC) or Common Mark Certificate (CMC).",
		Fix:     "Obtain a VMC or CMC for the logo from a mark verifying authority and add `a=https://.../vmc.pem`.",
	})
	FindDeclined = catalog.Define(finding.Spec{
		Code: "bimi.declined", Severity: finding.Info,
		Title:   "the domain declines BIMI",
		Meaning: "The record has empty `l=` and `a=`: an explicit refusal to take part in BIMI for this selector (draft §4.3.1). No logo is shown.",
		Fix:     "Nothing to do, unless you want a logo shown: then give the URLs in `l=` and `a=`.",
	})
	FindAssetsNotChecked = catalog.Define(finding.Spec{
		Code: "bimi.assets-not-checked", Severity: finding.Info,
		Title:   "the BIMI logo and certificate were not checked",
		Meaning: "Only the DNS record was checked. The SVG logo (its SVG Tiny PS profile) and the mark certificate (its chain, validity and embedded logo) were not fetched nor validated; this is not a pass for them.",
		Fix:     "Validate the logo and the certificate with your certificate authority's tools until emailauth checks them.",
	})
	FindDMARCNotChecked = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-not-checked", Severity: finding.Warning,
		Title:   "BIMI's DMARC requirement was not checked",
		Meaning: "BIMI works only with DMARC at enforcement, and the DMARC policy was not known to the check.",
		Fix:     "Run the DMARC check together with the BIMI check.",
	})
	FindDMARCMissing = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-missing", Severity: finding.Error,
		Title:   "BIMI without a DMARC record",
		Meaning: "The domain has no DMARC record. Receivers apply BIMI only to mail that passes DMARC under a policy of quarantine or reject, so the logo is never shown.",
		Fix:     "Publish a DMARC record with `p=quarantine` or `p=reject` at `_dmarc.DOMAIN`.",
	})
	FindDMARCNone = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-none", Severity: finding.Error,
		Title:   "BIMI with DMARC p=none",
		Meaning: "The DMARC policy is `p=none`. Receivers must not apply BIMI then (draft §7.1), so the record has no effect.",
		Fix:     "Move the DMARC policy to `p=quarantine` (at 100%) or `p=reject` once your reports show your mail passes DMARC.",
	})
	FindDMARCPct = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-pct", Severity: finding.Error,
		Title:   "BIMI with DMARC quarantine under 100%",
		Meaning: "With `p=quarantine`, BIMI requires the policy to apply to all mail: a `pct` other than 100 disables BIMI (draft §7.1).",
		Fix:     "Remove `pct=` from the DMARC record (or set `pct=100`).",
	})
	FindDMARCRejectPct = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-reject-pct", Severity: finding.Warning,
		Title:   "BIMI with DMARC reject under 100%",
		Meaning: "The draft accepts `p=reject` with any `pct`, but some mailbox providers require the policy to cover all mail.",
		Fix:     "Remove `pct=` from the DMARC record (or set `pct=100`).",
	})
	FindDMARCSubdomainNone = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-sp-none", Severity: finding.Error,
		Title:   "BIMI with DMARC sp=none",
		Meaning: "The DMARC record has a subdomain policy of `none`. Receivers must not apply BIMI then (draft §7.1 step 8).",
		Fix:     "Change `sp=none` to `sp=quarantine` or `sp=reject`, or remove `sp=` so that `p=` applies to subdomains.",
	})
	FindDMARCTesting = catalog.Define(finding.Spec{
		Code: "bimi.dmarc-testing", Severity: finding.Error,
		Title:   "BIMI with DMARC in test mode",
		Meaning: "The DMARC record has `t=y`: the policy is in test mode and not enforced, as with a `pct` below 100.",
		Fix:     "Remove `t=y` from the DMARC record.",
	})
)
