package aggregate

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of an Analysis, per domain.
var (
	FindAuthorizeSPF = catalog.Define(finding.Spec{
		Code: "dmarc-report.authorize-spf", Severity: finding.Warning,
		Title:   "legitimate sources fail SPF for the domain",
		Meaning: "Aggregate reports show sources whose mail otherwise looks legitimate (some of it passes DMARC, or it authenticates as a provider) using the domain as envelope sender from addresses its SPF record does not authorise, and without an aligned DKIM signature, so that mail fails DMARC. Under p=quarantine or p=reject it is lost; the finding is then an error.",
		Fix:     "Add the sources to the domain's SPF record (an ip4:/ip6: term, or the provider's include:), or better, have them sign with DKIM for the domain: DKIM survives forwarding, SPF does not.",
	})
	FindSignDKIM = catalog.Define(finding.Spec{
		Code: "dmarc-report.sign-dkim", Severity: finding.Warning,
		Title:   "legitimate sources do not sign with the domain",
		Meaning: "Aggregate reports show sources that authenticate, but as another domain (an email service provider's DKIM d= or bounce domain), or whose DKIM signature for the domain fails. Their mail fails DMARC; under p=quarantine or p=reject it is lost; the finding is then an error.",
		Fix:     "Configure each source to sign with DKIM as the domain (d= the domain or a subdomain; providers call it custom or branded DKIM), and publish the selector's key. A custom Return-Path under the domain aligns SPF as well.",
	})
	FindSpoofing = catalog.Define(finding.Spec{
		Code: "dmarc-report.unauthenticated", Severity: finding.Warning,
		Title:   "unauthenticated sources send as the domain",
		Meaning: "Aggregate reports show sources whose mail passes neither SPF nor DKIM for any domain: spoofing, or a forgotten server of your own. While the policy is p=none receivers deliver it; an enforcing policy stops it (the finding is then information).",
		Fix:     "Check the sources' reverse DNS names. A server of yours must be authorised in SPF and sign with DKIM; anything else is abuse, which p=quarantine or p=reject blocks.",
	})
	FindForwarded = catalog.Define(finding.Spec{
		Code: "dmarc-report.forwarded", Severity: finding.Info,
		Title:   "forwarded mail fails DMARC",
		Meaning: "Receivers reported messages that failed DMARC with an override reason (forwarded, mailing_list, trusted_forwarder): mail that was relayed and lost its SPF alignment. It is left out of the readiness figures; receivers that recognise forwarding apply their local policy to it.",
		Fix:     "Sign all mail with DKIM for the domain: a DKIM signature usually survives forwarding, SPF never does (RFC 9989 §7.4).",
	})
	FindSPFOnly = catalog.Define(finding.Spec{
		Code: "dmarc-report.spf-only", Severity: finding.Warning,
		Title:   "legitimate mail passes DMARC through SPF alone",
		Meaning: "Part of the domain's legitimate mail passes DMARC only through aligned SPF, without an aligned DKIM signature. RFC 9989 §7.4 says a domain publishing p=reject MUST NOT rely solely on SPF and MUST sign with DKIM, because forwarding breaks SPF.",
		Fix:     "Sign that mail with DKIM for the domain before moving to p=reject.",
	})
	FindReady = catalog.Define(finding.Spec{
		Code: "dmarc-report.ready", Severity: finding.Info,
		Title:   "the domain can move to the next policy step",
		Meaning: "Over the period of the reports, the share of the domain's legitimate-looking mail that passes DMARC meets the threshold of the next step, and the domain has been at its current step long enough.",
		Fix:     "Publish the record in the finding's fix, keep reading the reports, and step back if legitimate mail starts failing.",
	})
	FindHold = catalog.Define(finding.Spec{
		Code: "dmarc-report.hold", Severity: finding.Info,
		Title:   "the domain meets the next step's threshold but needs more time at this one",
		Meaning: "The pass share meets the threshold of the next step, but the reports cover less time at the current step than the readiness rule asks (RFC 9989 §7.4: p=none for at least a month, then p=quarantine as long).",
		Fix:     "Keep the current record and read the reports again once the period is covered.",
	})
	FindNotReady = catalog.Define(finding.Spec{
		Code: "dmarc-report.not-ready", Severity: finding.Warning,
		Title:   "too much legitimate mail fails DMARC for the next step",
		Meaning: "The share of the domain's legitimate-looking mail that passes DMARC is below the threshold of the next policy step: enforcing now would quarantine or reject mail the domain sends itself.",
		Fix:     "Fix the sources listed in the authorize-spf and sign-dkim findings, then read a new period of reports.",
	})
	FindInsufficientData = catalog.Define(finding.Spec{
		Code: "dmarc-report.insufficient-data", Severity: finding.Warning,
		Title:   "not enough reports to judge readiness",
		Meaning: "The reports cover too few messages or too short a period to say whether the domain's legitimate mail passes DMARC. Readiness is not judged.",
		Fix:     "Collect aggregate reports for longer (two weeks at least; a month per policy step is what RFC 9989 §7.4 asks), then run the analysis again.",
	})
	FindEnforced = catalog.Define(finding.Spec{
		Code: "dmarc-report.enforced", Severity: finding.Info,
		Title:   "the domain is at p=reject",
		Meaning: "The latest reports show the domain at p=reject without testing: the end of the rollout.",
		Fix:     "Keep reading the reports: a new sender that is not authorised will have its mail rejected.",
	})
	FindTooManySources = catalog.Define(finding.Spec{
		Code: "dmarc-report.too-many-sources", Severity: finding.Warning,
		Title:   "more sources than the analysis keeps",
		Meaning: "The reports name more source addresses for the domain than the analysis keeps one by one; the messages of the others are counted together, as unauthenticated.",
		Fix:     "Raise the source limit, or analyse a shorter period.",
	})
)
