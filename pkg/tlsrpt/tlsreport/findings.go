package tlsreport

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of a TLS report summary, one per result type of RFC 8460
// §4.3 and one for an MX an MTA-STS policy does not list. A finding about
// a policy in MTA-STS testing mode is lowered to a warning: senders still
// delivered the mail.
var (
	FindStarttlsNotSupported = catalog.Define(finding.Spec{
		Code: "tls-report.starttls-not-supported", Severity: finding.Error,
		Title:   "an MX did not offer STARTTLS",
		Meaning: "Senders reported sessions in which the receiving MX did not advertise STARTTLS (result type `starttls-not-supported`, RFC 8460 §4.3.1). Under an enforced MTA-STS or DANE policy those messages were not delivered; otherwise they went in clear text.",
		Fix:     "Enable STARTTLS on the MX named in the finding (and on every host behind its address), then check it with `emailauth starttls`.",
	})
	FindCertificateExpired = catalog.Define(finding.Spec{
		Code: "tls-report.certificate-expired", Severity: finding.Error,
		Title:   "an MX presented an expired certificate",
		Meaning: "Senders reported sessions in which the MX's certificate had expired (`certificate-expired`, RFC 8460 §4.3.2). MTA-STS senders in enforce mode do not deliver to such an MX.",
		Fix:     "Renew the MX's certificate and reload the mail server; automate the renewal.",
	})
	FindCertificateHostMismatch = catalog.Define(finding.Spec{
		Code: "tls-report.certificate-host-mismatch", Severity: finding.Error,
		Title:   "an MX's certificate does not name it",
		Meaning: "Senders reported sessions in which the MX's certificate did not carry the MX host name (`certificate-host-mismatch`, RFC 8460 §4.3.2). MTA-STS requires the certificate to match the MX name.",
		Fix:     "Install a certificate whose subjectAltName includes the MX host name named in the finding.",
	})
	FindCertificateNotTrusted = catalog.Define(finding.Spec{
		Code: "tls-report.certificate-not-trusted", Severity: finding.Error,
		Title:   "an MX's certificate is not trusted",
		Meaning: "Senders could not build a chain from the MX's certificate to a trusted root (`certificate-not-trusted`, RFC 8460 §4.3.2): a self-signed certificate or a missing intermediate.",
		Fix:     "Serve a certificate from a public CA with its full chain (intermediates included).",
	})
	FindValidationFailure = catalog.Define(finding.Spec{
		Code: "tls-report.validation-failure", Severity: finding.Warning,
		Title:   "certificate validation failed for another reason",
		Meaning: "Senders reported `validation-failure` (RFC 8460 §4.3.2): a certificate problem of another kind; the failure reason code, when given, says which.",
		Fix:     "Check the MX's certificate and chain with `emailauth starttls`; the reason code in the finding names the problem.",
	})
	FindTLSAInvalid = catalog.Define(finding.Spec{
		Code: "tls-report.tlsa-invalid", Severity: finding.Error,
		Title:   "the MX's TLSA records do not match",
		Meaning: "Senders using DANE found the TLSA records invalid or not matching the certificate (`tlsa-invalid`, RFC 8460 §4.3.3). DANE senders do not deliver then.",
		Fix:     "Publish TLSA records that match the certificate the MX serves (roll them before changing keys).",
	})
	FindDNSSECInvalid = catalog.Define(finding.Spec{
		Code: "tls-report.dnssec-invalid", Severity: finding.Error,
		Title:   "DNSSEC validation failed for the MX's records",
		Meaning: "Senders using DANE could not validate the DNSSEC signatures of the records they needed (`dnssec-invalid`, RFC 8460 §4.3.3).",
		Fix:     "Fix the zone's DNSSEC signing (expired signatures, a DS that matches no key).",
	})
	FindDANERequired = catalog.Define(finding.Spec{
		Code: "tls-report.dane-required", Severity: finding.Error,
		Title:   "DANE was required but TLSA records were not usable",
		Meaning: "Senders required DANE for the MX but found no usable TLSA records (`dane-required`, RFC 8460 §4.3.3).",
		Fix:     "Publish DNSSEC-signed TLSA records for the MX, or stop requiring DANE.",
	})
	FindSTSPolicyFetch = catalog.Define(finding.Spec{
		Code: "tls-report.sts-policy-fetch-error", Severity: finding.Error,
		Title:   "senders could not fetch the MTA-STS policy",
		Meaning: "Senders failed to fetch `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (`sts-policy-fetch-error`, RFC 8460 §4.3.4): an HTTP error, a timeout, a redirect.",
		Fix:     "Serve the policy over HTTPS at that address with status 200 and media type text/plain; check it with `emailauth mta-sts`.",
	})
	FindSTSPolicyInvalid = catalog.Define(finding.Spec{
		Code: "tls-report.sts-policy-invalid", Severity: finding.Error,
		Title:   "the MTA-STS policy is invalid",
		Meaning: "Senders fetched the MTA-STS policy but could not parse it (`sts-policy-invalid`, RFC 8460 §4.3.4).",
		Fix:     "Correct the policy file (version, mode, mx and max_age lines); check it with `emailauth mta-sts`.",
	})
	FindSTSWebPKIInvalid = catalog.Define(finding.Spec{
		Code: "tls-report.sts-webpki-invalid", Severity: finding.Error,
		Title:   "the MTA-STS policy host's certificate is invalid",
		Meaning: "Senders could not validate the certificate of the HTTPS server `mta-sts.DOMAIN` (`sts-webpki-invalid`, RFC 8460 §4.3.4).",
		Fix:     "Serve `mta-sts.DOMAIN` with a valid, publicly trusted certificate for that name.",
	})
	FindMXNotInPolicy = catalog.Define(finding.Spec{
		Code: "tls-report.mx-not-in-policy", Severity: finding.Error,
		Title:   "the MTA-STS policy does not list an MX",
		Meaning: "Senders failed sessions to an MX that no `mx:` line of the domain's MTA-STS policy matches (RFC 8461 §4.1). In enforce mode such an MX receives no mail from MTA-STS senders.",
		Fix:     "Add the MX to the policy (an `mx:` line, a wildcard covers one label) and change the policy id in the `_mta-sts` record, or remove the MX.",
	})
	FindUnknownResult = catalog.Define(finding.Spec{
		Code: "tls-report.unknown-result-type", Severity: finding.Warning,
		Title:   "failures of a result type RFC 8460 does not define",
		Meaning: "Senders reported failures with a result type outside RFC 8460 §4.3; the reason code, when given, says more.",
		Fix:     "Read the reason code and the additional information in the finding; check the MX with `emailauth starttls`.",
	})
	FindNoPolicy = catalog.Define(finding.Spec{
		Code: "tls-report.no-policy", Severity: finding.Info,
		Title:   "senders found no MTA-STS or DANE policy",
		Meaning: "Sessions were reported under `no-policy-found` (RFC 8460 §4.3): senders found neither an MTA-STS policy nor DANE records, so TLS to the domain's MX is opportunistic and can be stripped.",
		Fix:     "Publish an MTA-STS policy (testing mode first) or DNSSEC-signed TLSA records for the MX.",
	})
)

// resultFindings maps RFC 8460 result types to their findings.
var resultFindings = map[string]*finding.Spec{
	"starttls-not-supported":    FindStarttlsNotSupported,
	"certificate-expired":       FindCertificateExpired,
	"certificate-host-mismatch": FindCertificateHostMismatch,
	"certificate-not-trusted":   FindCertificateNotTrusted,
	"validation-failure":        FindValidationFailure,
	"tlsa-invalid":              FindTLSAInvalid,
	"dnssec-invalid":            FindDNSSECInvalid,
	"dane-required":             FindDANERequired,
	"sts-policy-fetch-error":    FindSTSPolicyFetch,
	"sts-policy-invalid":        FindSTSPolicyInvalid,
	"sts-webpki-invalid":        FindSTSWebPKIInvalid,
}
