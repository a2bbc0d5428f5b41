package tlsrpt

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Check; Problem.Spec is one of the record findings.
var (
	FindInvalidDomain = catalog.Define(finding.Spec{
		Code: "tls-rpt.invalid-domain", Severity: finding.Error,
		Title:   "the domain name is not valid",
		Meaning: "The name given to the check is not a syntactically valid domain name, so nothing could be looked up.",
		Fix:     "Give a domain name such as `example.com`.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "tls-rpt.dns-error", Severity: finding.Error, Transient: true,
		Title:   "the TLS-RPT lookup failed",
		Meaning: "The TXT query for `_smtp._tls.DOMAIN` timed out or was answered with SERVFAIL or REFUSED. The check could not complete.",
		Fix:     "Check that every authoritative name server of the domain answers TXT queries for `_smtp._tls.DOMAIN`, then run the check again.",
	})
	FindNoRecord = catalog.Define(finding.Spec{
		Code: "tls-rpt.no-record", Severity: finding.Warning,
		Title:   "no TLS-RPT record",
		Meaning: "No TXT record beginning with `v=TLSRPTv1` is published at `_smtp._tls.DOMAIN`. Senders then cannot tell you when TLS to your MX hosts fails (an expired certificate, an MTA-STS mismatch, an attack), so such failures go unnoticed.",
		Fix:     "Publish `_smtp._tls.DOMAIN. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN\"` with a mailbox (or an https: endpoint) that receives the daily JSON reports.",
	})
	FindMultipleRecords = catalog.Define(finding.Spec{
		Code: "tls-rpt.multiple-records", Severity: finding.Error,
		Title:   "more than one TLS-RPT record",
		Meaning: "More than one TXT record at `_smtp._tls.DOMAIN` begins with `v=TLSRPTv1`. RFC 8460 §3 tells senders to assume then that the domain does not implement TLS reporting.",
		Fix:     "Merge them into one record: `v=TLSRPTv1; rua=URI1,URI2`.",
	})
	FindBadVersion = catalog.Define(finding.Spec{
		Code: "tls-rpt.bad-version", Severity: finding.Error,
		Title:   "the TLS-RPT record has a wrong version",
		Meaning: "A TXT record at `_smtp._tls.DOMAIN` looks like a TLS-RPT record but does not begin exactly with `v=TLSRPTv1` (case-sensitive, first). Senders discard it.",
		Fix:     "Begin the record with `v=TLSRPTv1;`.",
	})
	FindSyntax = catalog.Define(finding.Spec{
		Code: "tls-rpt.syntax", Severity: finding.Error,
		Title:   "the TLS-RPT record is malformed",
		Meaning: "The record does not follow the RFC 8460 §3 grammar: fields `name=value` separated by `;`, no spaces around `=`. Senders treat an invalid record as no record.",
		Fix:     "Publish the record as `v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN`.",
	})
	FindDuplicateField = catalog.Define(finding.Spec{
		Code: "tls-rpt.duplicate-field", Severity: finding.Warning,
		Title:   "a TLS-RPT field is repeated",
		Meaning: "A field appears twice. Senders use the first, which may not be the one you meant; to give several destinations, list them in one `rua` separated by commas.",
		Fix:     "Keep one `rua=` with all the URIs separated by commas.",
	})
	FindNoRUA = catalog.Define(finding.Spec{
		Code: "tls-rpt.no-rua", Severity: finding.Error,
		Title:   "the TLS-RPT record has no rua",
		Meaning: "`rua` is required: it says where senders send reports. Without it the record is invalid.",
		Fix:     "Add `rua=mailto:tlsrpt@DOMAIN` (or an https: URL that accepts reports).",
	})
	FindRUAInvalid = catalog.Define(finding.Spec{
		Code: "tls-rpt.rua-invalid", Severity: finding.Error,
		Title:   "a TLS-RPT rua URI is not valid",
		Meaning: "A rua destination is not a valid `mailto:` address or `https:` URL (a missing scheme, an empty entry, a space, a bad address, or a `!` that must be percent-encoded). Senders treat the record as invalid.",
		Fix:     "Write each destination as `mailto:user@example.com` or `https://host.example.com/path`, separated by commas.",
	})
	FindRUAHTTP = catalog.Define(finding.Spec{
		Code: "tls-rpt.rua-http", Severity: finding.Error,
		Title:   "a TLS-RPT rua URI uses http:",
		Meaning: "RFC 8460 defines only `https:` (and `mailto:`) destinations; reports are not posted over plain HTTP.",
		Fix:     "Change `http://` to `https://` and make sure the endpoint serves HTTPS.",
	})
	FindRUAScheme = catalog.Define(finding.Spec{
		Code: "tls-rpt.rua-scheme", Severity: finding.Error,
		Title:   "a TLS-RPT rua URI has an unsupported scheme",
		Meaning: "Only `mailto:` and `https:` destinations are defined; senders cannot deliver reports to others.",
		Fix:     "Use a `mailto:` address or an `https:` URL.",
	})
)
