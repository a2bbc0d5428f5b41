package dmarc

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of the codes Check emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The finding codes of the DMARC check.
var (
	FindNoRecord = catalog.Define(finding.Spec{
		Code: "dmarc.no-record", Severity: finding.Error,
		Title:   "no DMARC record",
		Meaning: "Neither the domain nor any parent domain publishes a DMARC record, so receivers apply no DMARC policy: anyone can send mail with this domain in From, and no aggregate reports are sent. Gmail, Yahoo and Microsoft require a DMARC record from bulk senders.",
		Fix:     "Publish a TXT record at `_dmarc.<domain>`, starting with `v=DMARC1; p=none; rua=mailto:...` to collect reports, then move to `p=quarantine` and `p=reject` once all legitimate mail passes.",
	})
	FindInherited = catalog.Define(finding.Spec{
		Code: "dmarc.inherited", Severity: finding.Info,
		Title:   "policy inherited from a parent domain",
		Meaning: "The domain has no DMARC record of its own; receivers apply the sp (or, for a name that does not exist, np) policy of a parent domain's record.",
		Fix:     "Nothing, if the parent's subdomain policy is what you want; otherwise publish a record at `_dmarc.<domain>`.",
	})
	FindPolicyNone = catalog.Define(finding.Spec{
		Code: "dmarc.policy-none", Severity: finding.Warning,
		Title:   "p=none: monitoring only",
		Meaning: "p=none asks receivers to take no action on mail that fails DMARC: the record gives visibility through reports but no protection against spoofing.",
		Fix:     "Read the aggregate reports until every legitimate source passes with aligned SPF or DKIM, then change p to quarantine, and later to reject.",
	})
	FindTesting = catalog.Define(finding.Spec{
		Code: "dmarc.testing", Severity: finding.Warning,
		Title:   "t=y: policy in test mode",
		Meaning: "t=y (RFC 9989) asks receivers to apply one step less than the policy: quarantine instead of reject, no action instead of quarantine.",
		Fix:     "Remove t=y (or set t=n) once the reports show the policy can be enforced.",
	})
	FindWeakSubdomain = catalog.Define(finding.Spec{
		Code: "dmarc.weak-subdomain-policy", Severity: finding.Warning,
		Title:   "sp or np weaker than p",
		Meaning: "Subdomains (sp) or non-existent subdomains (np) get a weaker policy than the domain itself; attackers spoof the weakest name. Non-existent subdomains never send legitimate mail.",
		Fix:     "Raise sp to the p value (or remove it, so p applies), and set np=reject.",
	})
	FindNoRUA = catalog.Define(finding.Spec{
		Code: "dmarc.no-rua", Severity: finding.Warning,
		Title:   "no aggregate reports (no rua)",
		Meaning: "Without rua, receivers send no aggregate reports: you cannot see who sends mail as your domain, nor whether your own mail passes.",
		Fix:     "Add `rua=mailto:<address>` with a mailbox (or a report-processing service) that receives the reports.",
	})
	FindUnauthorizedDest = catalog.Define(finding.Spec{
		Code: "dmarc.unauthorized-destination", Severity: finding.Error,
		Title:   "external report destination not authorized",
		Meaning: "A rua or ruf address is in another organizational domain, which has not published the authorization record `<domain>._report._dmarc.<destination-domain>` (RFC 9990 §3, RFC 7489 §7.1). Receivers will not send reports there.",
		Fix:     "Ask the destination's operator to publish `<domain>._report._dmarc.<destination-domain> TXT \"v=DMARC1\"`, or use an address in your own domain.",
	})
	FindCannotReceive = catalog.Define(finding.Spec{
		Code: "dmarc.destination-cannot-receive", Severity: finding.Error,
		Title:   "report destination cannot receive mail",
		Meaning: "The domain of a mailto report destination has no MX, A or AAAA record (or a null MX): reports sent there bounce.",
		Fix:     "Fix the address in rua/ruf, or give its domain an MX record.",
	})
	FindUnsupportedURI = catalog.Define(finding.Spec{
		Code: "dmarc.unsupported-destination", Severity: finding.Warning,
		Title:   "report destination is not mailto",
		Meaning: "RFC 9990 and RFC 9991 define only mailto: report destinations; receivers ignore other schemes.",
		Fix:     "Use a mailto: URI.",
	})
	FindTooManyRUA = catalog.Define(finding.Spec{
		Code: "dmarc.too-many-rua", Severity: finding.Warning,
		Title:   "more than two rua destinations",
		Meaning: "Receivers may limit the number of destinations they send to; RFC 7489 §6.2 lets them send to only the first two. Later ones may get nothing.",
		Fix:     "Keep at most two rua URIs, most important first.",
	})
	FindPctBelow100 = catalog.Define(finding.Spec{
		Code: "dmarc.pct-below-100", Severity: finding.Warning,
		Title:   "pct below 100",
		Meaning: "RFC 7489 receivers apply the policy only to that percentage of failing mail (and the next weaker policy to the rest). RFC 9989 removed pct: its receivers apply the policy to all failing mail. The two kinds of receivers treat your mail differently.",
		Fix:     "Remove pct; to test a policy, use t=y instead.",
	})
	FindSyntax = catalog.Define(finding.Spec{
		Code: "dmarc.syntax", Severity: finding.Error,
		Title:   "DMARC record syntax error",
		Meaning: "A tag or value does not follow the RFC 9989 grammar; receivers ignore the tag (using its default) or the whole record.",
		Fix:     "Correct the tag as the finding says.",
	})
	FindNoPolicy = catalog.Define(finding.Spec{
		Code: "dmarc.no-policy", Severity: finding.Error,
		Title:   "no valid p tag",
		Meaning: "The record has no valid p (or has an invalid sp or np). Receivers treat it as p=none if it has a valid rua, and otherwise ignore it (RFC 9989 §4.7).",
		Fix:     "Add p=none, p=quarantine or p=reject right after v=DMARC1.",
	})
	FindDuplicateTag = catalog.Define(finding.Spec{
		Code: "dmarc.duplicate-tag", Severity: finding.Error,
		Title:   "tag given twice",
		Meaning: "A tag appears more than once; receivers differ in which value they use, or reject the record.",
		Fix:     "Keep one occurrence of each tag.",
	})
	FindRemovedTag = catalog.Define(finding.Spec{
		Code: "dmarc.removed-tag", Severity: finding.Warning,
		Title:   "tag removed by RFC 9989",
		Meaning: "pct, rf and ri are RFC 7489 tags that RFC 9989 removed. RFC 9989 receivers ignore them; RFC 7489 receivers still act on pct.",
		Fix:     "Remove the tag (use t=y instead of pct to test a policy).",
	})
	FindUnknownTag = catalog.Define(finding.Spec{
		Code: "dmarc.unknown-tag", Severity: finding.Warning,
		Title:   "unknown tag",
		Meaning: "The record has a tag neither RFC 9989 nor RFC 7489 defines; receivers ignore it. It is often a typo of a real tag.",
		Fix:     "Remove the tag or correct its name.",
	})
	FindMultipleRecords = catalog.Define(finding.Spec{
		Code: "dmarc.multiple-records", Severity: finding.Error,
		Title:   "several DMARC records at one name",
		Meaning: "More than one TXT record at the name starts with v=DMARC1; receivers discard them all and apply no DMARC policy (RFC 9989 §4.10, RFC 7489 §6.6.3).",
		Fix:     "Delete all but one DMARC record at the name.",
	})
	FindNotDMARC = catalog.Define(finding.Spec{
		Code: "dmarc.invalid-version", Severity: finding.Error,
		Title:   "record not recognized as DMARC",
		Meaning: "A TXT record at _dmarc looks like a DMARC record but does not start exactly with v=DMARC1 (upper-case DMARC1, first tag, no leading space): receivers ignore it.",
		Fix:     "Start the record with exactly `v=DMARC1;`.",
	})
	FindRecordAtApex = catalog.Define(finding.Spec{
		Code: "dmarc.record-at-apex", Severity: finding.Error,
		Title:   "DMARC record published at the domain instead of _dmarc",
		Meaning: "A v=DMARC1 TXT record is published at the domain itself; receivers look only at `_dmarc.<domain>` and never see it.",
		Fix:     "Move the record to `_dmarc.<domain>` and delete it from the domain.",
	})
	FindViewsDisagree = catalog.Define(finding.Spec{
		Code: "dmarc.views-disagree", Severity: finding.Warning,
		Title:   "RFC 9989 and RFC 7489 receivers find different policies",
		Meaning: "The RFC 9989 DNS Tree Walk and the RFC 7489 Public Suffix List lookup give a different policy record or organizational domain, so receivers of the two generations treat the domain's mail differently (policy applied, relaxed alignment).",
		Fix:     "Publish a record at the domain itself (or at the organizational domain both agree on) so that both methods find the same policy.",
	})
	FindPSD = catalog.Define(finding.Spec{
		Code: "dmarc.psd-record", Severity: finding.Info,
		Title:   "public suffix domain record",
		Meaning: "The record says psd=y: the domain is a public suffix domain (RFC 9989), and its policy applies to the organizational domains below it that publish none.",
		Fix:     "Nothing, if the domain is a public suffix operator's; remove psd=y otherwise.",
	})
	FindDestUnverified = catalog.Define(finding.Spec{
		Code: "dmarc.destination-unverified", Severity: finding.Warning, Transient: true,
		Title:   "report destination could not be checked",
		Meaning: "A DNS failure (a timeout, SERVFAIL) stopped the check of a report destination's authorization record or mail servers. This says the check could not find out, not that the destination is wrong: the result is `error`.",
		Fix:     "Run the check again; if the failure persists, check the destination domain's DNS servers.",
	})
	FindTooManyDestinations = catalog.Define(finding.Spec{
		Code: "dmarc.too-many-destinations", Severity: finding.Warning,
		Title:   "more report destinations than are checked",
		Meaning: "The record lists more rua and ruf destinations than the check looks at (10 by default): each costs DNS queries to names the record's author chose, so only the first ones are checked, and the finding names the others. Receivers send aggregate reports to the first two rua destinations at most (RFC 7489 §6.2); a long list only costs and hides mistakes.",
		Fix:     "Keep the few mailboxes (or report services) that read the reports.",
	})
	FindDestNotCheckedOffline = catalog.Define(finding.Spec{
		Code: "dmarc.not-checked-offline", Severity: finding.Info,
		Title:   "report destination not checked (offline)",
		Meaning: "The check ran offline and no `--zone` file covers the destination's authorization record or mail servers, so nothing is known about them: the destination is not reported as unauthorized or unable to receive.",
		Fix:     "Nothing to fix. Run the check online, or add a zone file for the destination's domain, to check it.",
	})
)
