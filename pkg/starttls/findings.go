package starttls

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Probe. The transient ones say that the probe could not
// be done from here (a blocked port 25, a session cut short, a server that
// refuses this client): the result is then error, "could not check", never
// fail.
var (
	FindInvalidHost = catalog.Define(finding.Spec{
		Code: "starttls.invalid-host", Severity: finding.Error,
		Title:   "the MX host name is not valid",
		Meaning: "The host given to the probe is not a valid host name, so no connection was attempted.",
		Fix:     "Give the MX host name as published in the domain's MX records.",
	})
	FindConnectFailed = catalog.Define(finding.Spec{
		Code: "starttls.connect-failed", Severity: finding.Error, Transient: true,
		Title:   "could not connect to the MX host",
		Meaning: "The TCP connection to port 25 of the MX host failed (refused, timed out, unreachable). Port 25 is blocked on many networks, so this says nothing certain about the server: the STARTTLS check could not be done.",
		Fix:     "Run the probe from a network that allows outgoing port 25; if it still fails, check that the MX host listens on port 25 and that its firewall accepts connections from the Internet.",
	})
	FindConnectionLost = catalog.Define(finding.Spec{
		Code: "starttls.connection-lost", Severity: finding.Error, Transient: true,
		Title:   "the SMTP session broke off",
		Meaning: "The server closed the connection or stopped answering in the middle of the SMTP dialogue. The check could not complete.",
		Fix:     "Run the probe again; if it keeps failing, look at the MX host's logs for the probe's connection.",
	})
	FindGreetingRefused = catalog.Define(finding.Spec{
		Code: "starttls.greeting-refused", Severity: finding.Error, Transient: true,
		Title:   "the MX host refused the session",
		Meaning: "The server did not greet with 220 (for example 554: it refuses this client, often because of the client's IP reputation). The STARTTLS check could not be done from here.",
		Fix:     "Run the probe from another network, or allow the probing host on the MX.",
	})
	FindEHLORejected = catalog.Define(finding.Spec{
		Code: "starttls.ehlo-rejected", Severity: finding.Error, Transient: true,
		Title:   "the MX host rejected EHLO",
		Meaning: "The server answered EHLO with an error, so it listed no extensions and STARTTLS could not be tried. The probe's EHLO name may be the cause.",
		Fix:     "Run the probe with an EHLO name the server accepts (a fully qualified name of the probing host).",
	})
	FindNotOffered = catalog.Define(finding.Spec{
		Code: "starttls.not-offered", Severity: finding.Error,
		Title:   "the MX host does not offer STARTTLS",
		Meaning: "STARTTLS is missing from the server's EHLO reply: mail to it travels in clear text, and MTA-STS or DANE cannot be used.",
		Fix:     "Enable STARTTLS on the MX host with a certificate for its name (Postfix: `smtpd_tls_security_level = may` with `smtpd_tls_chain_files`).",
	})
	FindRejected = catalog.Define(finding.Spec{
		Code: "starttls.rejected", Severity: finding.Error,
		Title:   "the MX host refused STARTTLS",
		Meaning: "The server offers STARTTLS but answered the command with an error (often 454: TLS not available, a missing or unreadable certificate).",
		Fix:     "Check the TLS configuration and certificate files of the MX host in its logs.",
	})
	FindHandshakeFailed = catalog.Define(finding.Spec{
		Code: "starttls.handshake-failed", Severity: finding.Error,
		Title:   "the TLS handshake failed",
		Meaning: "After STARTTLS the TLS handshake failed: no protocol version or cipher in common, or a broken certificate setup. Senders fall back to clear text, or fail under MTA-STS.",
		Fix:     "Enable TLS 1.2 and 1.3 with modern ciphers on the MX host and check its certificate configuration.",
	})
	FindOldTLS = catalog.Define(finding.Spec{
		Code: "starttls.old-tls", Severity: finding.Error,
		Title:   "the MX host negotiates TLS older than 1.2",
		Meaning: "TLS 1.0 and 1.1 are deprecated (RFC 8996); many senders refuse them, and MTA-STS senders treat them as a failure.",
		Fix:     "Enable TLS 1.2 and 1.3 on the MX host (Postfix: `smtpd_tls_protocols = >=TLSv1.2`).",
	})
	FindCertNameMismatch = catalog.Define(finding.Spec{
		Code: "starttls.cert-name-mismatch", Severity: finding.Error,
		Title:   "the certificate does not match the MX host name",
		Meaning: "The MX host's certificate is not valid for the name in the MX record. Senders that verify (MTA-STS, DANE with PKIX usages) refuse to deliver.",
		Fix:     "Install a certificate whose subject alternative names include the MX host name.",
	})
	FindCertExpired = catalog.Define(finding.Spec{
		Code: "starttls.cert-expired", Severity: finding.Error,
		Title:   "the certificate has expired",
		Meaning: "The MX host presents an expired certificate. Senders that verify refuse to deliver.",
		Fix:     "Renew the certificate and automate its renewal.",
	})
	FindCertNotYetValid = catalog.Define(finding.Spec{
		Code: "starttls.cert-not-yet-valid", Severity: finding.Error,
		Title:   "the certificate is not yet valid",
		Meaning: "The certificate's validity starts in the future (or the server's clock is wrong). Senders that verify refuse to deliver.",
		Fix:     "Check the certificate's dates and the server's clock.",
	})
	FindCertSelfSigned = catalog.Define(finding.Spec{
		Code: "starttls.cert-self-signed", Severity: finding.Error,
		Title:   "the certificate is self-signed",
		Meaning: "The certificate is signed by itself, not by a CA senders trust. Opportunistic TLS still encrypts, but MTA-STS senders refuse to deliver.",
		Fix:     "Install a certificate from a public CA (for example Let's Encrypt) for the MX host name.",
	})
	FindCertUntrusted = catalog.Define(finding.Spec{
		Code: "starttls.cert-untrusted", Severity: finding.Error,
		Title:   "the certificate does not chain to a trusted CA",
		Meaning: "The certificate chain does not lead to a trusted root: an unknown CA or a missing intermediate. Senders that verify refuse to deliver.",
		Fix:     "Serve the full chain (leaf and intermediates) from a public CA.",
	})
	FindCertExpiring = catalog.Define(finding.Spec{
		Code: "starttls.cert-expiring", Severity: finding.Warning,
		Title:   "the certificate expires within 14 days",
		Meaning: "The MX host's certificate expires soon; once it does, verifying senders stop delivering.",
		Fix:     "Renew the certificate now and automate its renewal.",
	})
)
