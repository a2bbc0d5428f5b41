package mtasts

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

const refreshID = "Whenever the policy changes, publish a new `id` in the `_mta-sts` TXT record, or senders keep the cached copy until `max_age` runs out."

// The findings of Check. Problem.Spec and FetchError.Spec are among them.
var (
	FindInvalidDomain = catalog.Define(finding.Spec{
		Code: "mta-sts.invalid-domain", Severity: finding.Error,
		Title:   "the domain name is not valid",
		Meaning: "The name given to the check is not a syntactically valid domain name, so nothing could be looked up.",
		Fix:     "Give a domain name such as `example.com`: labels of 1 to 63 characters separated by single dots, 253 characters at most.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "mta-sts.dns-error", Severity: finding.Error, Transient: true,
		Title:   "a DNS lookup failed",
		Meaning: "A query the check needs (the `_mta-sts` TXT record, the MX records, or the address of the policy host) timed out or was answered with SERVFAIL or REFUSED. The check could not complete; senders that meet the same failure treat the domain as having no MTA-STS policy.",
		Fix:     "Check that every authoritative name server of the domain answers for the name in the message, then run the check again.",
	})
	FindNoMX = catalog.Define(finding.Spec{
		Code: "mta-sts.no-mx", Severity: finding.Info,
		Title:   "the domain receives no mail",
		Meaning: "The domain has no MX records, or a null MX (`MX 0 .`, RFC 7505). MTA-STS protects mail delivered to MX hosts, so it does not apply.",
		Fix:     "Nothing to do unless the domain should receive mail; then publish MX records first.",
	})
	FindNoRecord = catalog.Define(finding.Spec{
		Code: "mta-sts.no-record", Severity: finding.Warning,
		Title:   "no MTA-STS record",
		Meaning: "No TXT record beginning with `v=STSv1;` is published at `_mta-sts.DOMAIN`. Without MTA-STS, a sender's TLS to your MX hosts can be stripped or redirected by an attacker on the path, and mail goes in clear text.",
		Fix:     "Serve a policy at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (start in `mode: testing`), then publish `_mta-sts.DOMAIN. TXT \"v=STSv1; id=YYYYMMDDTHHMMSS\"`. Add a TLS-RPT record to receive failure reports. " + refreshID,
	})
	FindMultipleRecords = catalog.Define(finding.Spec{
		Code: "mta-sts.multiple-records", Severity: finding.Error,
		Title:   "more than one MTA-STS record",
		Meaning: "More than one TXT record at `_mta-sts.DOMAIN` begins with `v=STSv1`. RFC 8461 §3.1 tells senders to assume then that the domain has no MTA-STS policy.",
		Fix:     "Keep exactly one `v=STSv1` TXT record at `_mta-sts.DOMAIN` and delete the others.",
	})
	FindRecordBadVersion = catalog.Define(finding.Spec{
		Code: "mta-sts.record-bad-version", Severity: finding.Error,
		Title:   "the MTA-STS record has a wrong version",
		Meaning: "A TXT record at `_mta-sts.DOMAIN` looks like an MTA-STS record but does not begin exactly with `v=STSv1;` (the version is case-sensitive and must come first). Senders discard it, so the domain has no policy.",
		Fix:     "Publish the record as `v=STSv1; id=...` with `v=STSv1` first, spelled exactly so.",
	})
	FindRecordSyntax = catalog.Define(finding.Spec{
		Code: "mta-sts.record-syntax", Severity: finding.Error,
		Title:   "the MTA-STS record is malformed",
		Meaning: "The `_mta-sts` TXT record does not follow the RFC 8461 §3.1 grammar: fields `name=value` separated by `;`, no spaces around `=`, extension values without spaces. Senders treat an invalid record as no record.",
		Fix:     "Publish the record in the form `v=STSv1; id=20261123T000000` and nothing else unless you need an extension field.",
	})
	FindRecordNoID = catalog.Define(finding.Spec{
		Code: "mta-sts.record-no-id", Severity: finding.Error,
		Title:   "the MTA-STS record has no id",
		Meaning: "The `id` field is required: senders compare it with the id of the policy they cached to know when to fetch the policy again.",
		Fix:     "Add `id=` followed by 1 to 32 letters and digits, for example a timestamp: `v=STSv1; id=20261123T000000`.",
	})
	FindRecordBadID = catalog.Define(finding.Spec{
		Code: "mta-sts.record-bad-id", Severity: finding.Error,
		Title:   "the MTA-STS id is not valid",
		Meaning: "The `id` must be 1 to 32 letters and digits (RFC 8461 §3.1); dashes, colons, dots and spaces are not allowed. Senders treat the record as invalid.",
		Fix:     "Use letters and digits only, for example the time of the change: `id=20261123T000000`.",
	})
	FindRecordDuplicateField = catalog.Define(finding.Spec{
		Code: "mta-sts.record-duplicate-field", Severity: finding.Warning,
		Title:   "a field of the MTA-STS record is repeated",
		Meaning: "A field appears twice in the `_mta-sts` record. Senders use the first one, which may not be the one you meant.",
		Fix:     "Keep one occurrence of each field.",
	})
	FindRecordExtensionIgnored = catalog.Define(finding.Spec{
		Code: "mta-sts.record-extension", Severity: finding.Info,
		Title:   "the MTA-STS record has an extension field",
		Meaning: "The record carries a field other than `v` and `id`. RFC 8461 defines none; senders ignore it.",
		Fix:     "Nothing to do, unless the field is a typo of `id`.",
	})
	FindPolicyHostMissing = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-host-missing", Severity: finding.Error,
		Title:   "the policy host does not exist",
		Meaning: "The `_mta-sts` record announces a policy, but `mta-sts.DOMAIN` has no A or AAAA record, so no sender can fetch the policy.",
		Fix:     "Publish an A and/or AAAA record (or a CNAME to your policy host) for `mta-sts.DOMAIN`, and serve the policy there over HTTPS with a certificate valid for that name.",
	})
	FindPolicyNotChecked = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-not-checked", Severity: finding.Warning,
		Title:   "the MTA-STS policy was not checked",
		Meaning: "The check ran offline, so only the DNS part was checked: the policy file served over HTTPS was not fetched, and nothing is known about it. This is not a pass.",
		Fix:     "Run the check again with network access to fetch and validate the policy.",
	})
	FindPolicyUnreachable = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-unreachable", Severity: finding.Error, Transient: true,
		Title:   "the MTA-STS policy could not be fetched",
		Meaning: "Connecting to `https://mta-sts.DOMAIN/` failed (no route, refused, timeout, a DNS failure). The check could not complete. If senders meet the same failure they treat the domain as having no policy (or keep an older cached one).",
		Fix:     "Make `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` reachable on port 443 from the Internet.",
	})
	FindPolicyCertificate = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-certificate", Severity: finding.Error,
		Title:   "the policy host's certificate is not valid",
		Meaning: "The HTTPS certificate of `mta-sts.DOMAIN` is expired, self-signed, issued by an untrusted CA, or not valid for `mta-sts.DOMAIN`. RFC 8461 §3.3 forbids senders to use a policy fetched that way, so the domain has no usable policy.",
		Fix:     "Install a certificate from a public CA that covers `mta-sts.DOMAIN` (for example from Let's Encrypt) with its full chain.",
	})
	FindPolicyCertificateSoon = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-certificate-expiring", Severity: finding.Warning,
		Title:   "the policy host's certificate expires soon",
		Meaning: "The HTTPS certificate of `mta-sts.DOMAIN` expires within 14 days. Once it expires, senders can no longer fetch or refresh the policy.",
		Fix:     "Renew the certificate of `mta-sts.DOMAIN` and make sure renewal is automated.",
	})
	FindPolicyRedirect = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-redirect", Severity: finding.Error,
		Title:   "the policy URL redirects",
		Meaning: "The policy URL answered with an HTTP redirect. RFC 8461 §3.3 forbids senders to follow redirects, so they get no policy.",
		Fix:     "Serve the policy directly at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` with status 200; do not redirect that path (nor from HTTPS to elsewhere).",
	})
	FindPolicyHTTPStatus = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-http-status", Severity: finding.Error,
		Title:   "the policy URL does not answer 200",
		Meaning: "The policy URL answered with an HTTP status other than 200 (for example 404). Senders get no policy.",
		Fix:     "Serve the policy file at exactly `/.well-known/mta-sts.txt` on `mta-sts.DOMAIN` with status 200.",
	})
	FindPolicyContentType = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-content-type", Severity: finding.Error,
		Title:   "the policy is not served as text/plain",
		Meaning: "RFC 8461 §3.2 requires the media type `text/plain`; senders that check it (as they should) reject the policy.",
		Fix:     "Configure the web server to send `Content-Type: text/plain` for `/.well-known/mta-sts.txt`.",
	})
	FindPolicyTooLarge = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-too-large", Severity: finding.Error,
		Title:   "the policy is too large",
		Meaning: "The policy body is over 64 KiB, the limit senders are told to apply (RFC 8461 §3.3). It is likely not a policy at all.",
		Fix:     "Serve only the policy lines (version, mode, mx, max_age) at the policy URL.",
	})
	FindPolicySyntax = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-syntax", Severity: finding.Error,
		Title:   "the policy is malformed",
		Meaning: "The policy does not follow the RFC 8461 §3.2 grammar: one `key: value` per line, keys in lower case, lines ended by LF or CRLF, no leading spaces. Senders reject an invalid policy.",
		Fix:     "Serve the policy as plain lines such as `version: STSv1`, `mode: enforce`, `mx: mail.example.com`, `max_age: 604800`.",
	})
	FindPolicyBadVersion = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-bad-version", Severity: finding.Error,
		Title:   "the policy version is missing or wrong",
		Meaning: "The policy must have the line `version: STSv1`.",
		Fix:     "Make the first line of the policy `version: STSv1`.",
	})
	FindPolicyBadMode = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-bad-mode", Severity: finding.Error,
		Title:   "the policy mode is missing or wrong",
		Meaning: "The policy must have a `mode` line with `enforce`, `testing` or `none` (in lower case).",
		Fix:     "Add `mode: testing` while you check the TLS reports, then change to `mode: enforce`.",
	})
	FindPolicyBadMaxAge = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-bad-max-age", Severity: finding.Error,
		Title:   "the policy max_age is missing or not a number",
		Meaning: "The policy must have a `max_age` line with a whole number of seconds (up to 10 digits).",
		Fix:     "Add `max_age: 604800` (one week), or longer once the policy is stable.",
	})
	FindPolicyMaxAgeTooLarge = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-max-age-too-large", Severity: finding.Error,
		Title:   "the policy max_age is over one year",
		Meaning: "RFC 8461 §3.2 caps max_age at 31557600 seconds. Some senders reject the policy, others cut the value to the cap.",
		Fix:     "Set `max_age: 31557600` or less.",
	})
	FindPolicyMaxAgeShort = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-max-age-short", Severity: finding.Warning,
		Title:   "the policy max_age is under a day",
		Meaning: "Senders keep the policy for max_age seconds. A short lifetime leaves them without a policy most of the time, which is when an attacker can strip TLS. RFC 8461 expects weeks or more.",
		Fix:     "Set `max_age: 604800` (one week) or more; up to 31557600 once the policy is stable.",
	})
	FindPolicyNoMX = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-no-mx", Severity: finding.Error,
		Title:   "the policy has no mx line",
		Meaning: "A policy in enforce or testing mode lists the MX hosts senders may deliver to. With none, no MX host is valid: in enforce mode every delivery fails.",
		Fix:     "Add one `mx:` line per MX host (or a `*.` wildcard pattern covering them).",
	})
	FindPolicyBadMX = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-bad-mx", Severity: finding.Error,
		Title:   "an mx pattern is not valid",
		Meaning: "An `mx` value must be a host name, or `*.` followed by a host name (the wildcard covers exactly one label). Senders reject the policy.",
		Fix:     "Write each mx pattern as a host name such as `mail.example.com` or `*.mail.example.net`.",
	})
	FindPolicyDuplicateField = catalog.Define(finding.Spec{
		Code: "mta-sts.policy-duplicate-field", Severity: finding.Warning,
		Title:   "a policy field is repeated",
		Meaning: "A policy key other than `mx` appears more than once. Senders use the first occurrence, which may not be the one you meant.",
		Fix:     "Keep one line for each of version, mode and max_age. " + refreshID,
	})
	FindMXNotCovered = catalog.Define(finding.Spec{
		Code: "mta-sts.mx-not-covered", Severity: finding.Error,
		Title:   "an MX host is not allowed by the policy",
		Meaning: "An MX host of the domain matches no `mx` pattern of the policy. In enforce mode senders refuse to deliver to it; in testing mode they report failures (the finding is then a warning).",
		Fix:     "Add an `mx:` line for the host to the policy. " + refreshID,
	})
	FindMXPatternUnused = catalog.Define(finding.Spec{
		Code: "mta-sts.mx-pattern-unused", Severity: finding.Warning,
		Title:   "an mx pattern matches no MX host",
		Meaning: "A pattern in the policy matches none of the domain's MX hosts: a leftover from an old mail provider, or a typo that leaves a real MX host uncovered.",
		Fix:     "Remove the pattern from the policy or fix its spelling. " + refreshID,
	})
	FindModeTesting = catalog.Define(finding.Spec{
		Code: "mta-sts.mode-testing", Severity: finding.Info,
		Title:   "the policy is in testing mode",
		Meaning: "In testing mode senders deliver even when TLS to the MX fails, and only report it (with TLS-RPT). It does not protect mail yet.",
		Fix:     "Once the TLS reports show no failures, change to `mode: enforce`. " + refreshID,
	})
	FindModeNone = catalog.Define(finding.Spec{
		Code: "mta-sts.mode-none", Severity: finding.Info,
		Title:   "the policy is in mode none",
		Meaning: "Mode none withdraws MTA-STS: senders drop the policy they cached. It is meant for switching MTA-STS off.",
		Fix:     "If MTA-STS should protect the domain, serve a policy in `testing` or `enforce` mode. " + refreshID,
	})
)
