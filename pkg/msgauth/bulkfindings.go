package msgauth

import "github.com/penguinmails/emailauth/pkg/finding"

var bulkCatalog finding.Catalog

// BulkFindings returns the catalogue of the finding codes CheckBulk emits.
// docs/bulk-sender.md cites the provider rule behind each.
func BulkFindings() []*finding.Spec { return bulkCatalog.Specs() }

// The findings of the bulk-sender check.
var (
	FindBulkNoConnection = bulkCatalog.Define(finding.Spec{
		Code: "bulk.no-connection", Severity: finding.Warning,
		Title:   "SPF and reverse DNS not checked: no connection given",
		Meaning: "The check was given a message but not the SMTP connection it was sent over (the sending IP, the HELO name, the MAIL FROM address), so neither SPF nor the sending IP's reverse DNS could be checked. Both are requirements of Gmail, Yahoo and Outlook.com for bulk senders.",
		Fix:     "Give the connection of the test send: the IP address the platform sent it from, its HELO name and the envelope sender.",
	})
	FindBulkSPFFail = bulkCatalog.Define(finding.Spec{
		Code: "bulk.spf-fail", Severity: finding.Error,
		Title:   "SPF does not pass",
		Meaning: "The sending IP is not authorized by the SPF record of the envelope sender's domain (result fail, softfail, neutral, none or permerror). Gmail, Yahoo and Outlook.com require bulk mail to pass SPF as well as DKIM.",
		Fix:     "Add the sending IPs (or the platform's include:) to the SPF record of the MAIL FROM domain, and keep the record within 10 DNS lookups (`emailauth spf check`).",
	})
	FindBulkDKIMFail = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dkim-fail", Severity: finding.Error,
		Title:   "no DKIM signature passes",
		Meaning: "The message has no DKIM signature, or none of its signatures verifies. Gmail, Yahoo and Outlook.com require bulk mail to pass DKIM as well as SPF.",
		Fix:     "Sign every message with the sender's key (`emailauth sign`), publish the selector's key record, and make sure nothing changes the message after signing.",
	})
	FindBulkDKIMWeakKey = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dkim-weak-key", Severity: finding.Error,
		Title:   "a DKIM key under 1024 bits",
		Meaning: "A DKIM signature is made with an RSA key shorter than 1024 bits. RFC 8301 forbids verifiers to trust it, so it counts as no DKIM at all; Google asks for at least 1024 bits and recommends 2048.",
		Fix:     "Generate a 2048-bit key (`emailauth dkim keygen`), publish it under a new selector, and sign with it.",
	})
	FindBulkDKIMKey1024 = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dkim-key-1024", Severity: finding.Warning,
		Title:   "a DKIM key shorter than 2048 bits",
		Meaning: "The passing DKIM signatures use RSA keys of 1024 to 2047 bits. That meets the minimum, but Google recommends 2048-bit keys, and 1024-bit RSA is within reach of well-funded attackers.",
		Fix:     "Rotate to a 2048-bit key under a new selector (`emailauth dkim keygen --bits 2048`).",
	})
	FindBulkDKIMEd25519Only = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dkim-ed25519-only", Severity: finding.Warning,
		Title:   "only Ed25519 signatures pass",
		Meaning: "Every passing DKIM signature is Ed25519 (RFC 8463). Not every large mailbox provider verifies Ed25519 signatures; to those, the message has no passing DKIM signature.",
		Fix:     "Sign with an RSA-2048 key as well (dual signing: one RSA and one Ed25519 DKIM-Signature).",
	})
	FindBulkNoFromDomain = bulkCatalog.Define(finding.Spec{
		Code: "bulk.no-from-domain", Severity: finding.Error,
		Title:   "no single From domain",
		Meaning: "The message has no From field, several, a From field with several authors in different domains, or one that cannot be parsed. DMARC cannot be evaluated, and RFC 5322 requires exactly one From field.",
		Fix:     "Send with exactly one From field holding one address in the sending domain.",
	})
	FindBulkNoDMARC = bulkCatalog.Define(finding.Spec{
		Code: "bulk.no-dmarc", Severity: finding.Error,
		Title:   "no usable DMARC record for the From domain",
		Meaning: "The From domain (or its organizational domain) publishes no DMARC record, several, or one that cannot be used. Gmail, Yahoo and Outlook.com require bulk senders to publish DMARC; p=none is the minimum.",
		Fix:     "Publish `v=DMARC1; p=none; rua=mailto:...` at `_dmarc.<domain>` (`emailauth dmarc build`), then move to quarantine or reject once reports show every source aligned.",
	})
	FindBulkDMARCFail = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dmarc-fail", Severity: finding.Error,
		Title:   "DMARC fails: neither SPF nor DKIM aligns with From",
		Meaning: "No passing SPF or DKIM identifier is in the From domain (or, with relaxed alignment, its organizational domain). Gmail, Yahoo and Outlook.com require the From domain to align with the SPF or the DKIM domain.",
		Fix:     "Sign with a key of the From domain (d= in that domain), or send with a MAIL FROM (bounce) domain under the From domain.",
	})
	FindBulkDMARCNone = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dmarc-p-none", Severity: finding.Info,
		Title:   "the DMARC policy is p=none",
		Meaning: "DMARC passes and the policy is p=none: it meets the providers' minimum, but asks receivers to do nothing with mail that fails, so the domain can still be spoofed.",
		Fix:     "Once aggregate reports show every legitimate source aligned, move to p=quarantine, then p=reject.",
	})
	FindBulkNoPTR = bulkCatalog.Define(finding.Spec{
		Code: "bulk.no-ptr", Severity: finding.Error,
		Title:   "the sending IP has no reverse DNS",
		Meaning: "The sending IP address has no PTR record. Gmail and Yahoo require sending IPs to have valid forward and reverse DNS; Gmail rejects IPv6 mail from addresses without it.",
		Fix:     "Ask whoever holds the address block (the hosting provider or the platform) to publish a PTR record naming a host whose A/AAAA record is this address.",
	})
	FindBulkPTRMismatch = bulkCatalog.Define(finding.Spec{
		Code: "bulk.ptr-mismatch", Severity: finding.Error,
		Title:   "reverse DNS is not forward-confirmed",
		Meaning: "The sending IP's PTR record names hosts, but none of them resolves back to the IP (forward-confirmed reverse DNS fails). A PTR alone proves nothing, since the holder of an address block can point it at any name; providers check the round trip.",
		Fix:     "Publish an A (or AAAA) record for the PTR name pointing to the sending IP, or change the PTR to a name that has one.",
	})
	FindBulkNoListUnsubscribe = bulkCatalog.Define(finding.Spec{
		Code: "bulk.no-list-unsubscribe", Severity: finding.Error,
		Title:   "no List-Unsubscribe header field",
		Meaning: "The message has no List-Unsubscribe header field (RFC 2369). Gmail and Yahoo require marketing and subscribed messages from bulk senders to support one-click unsubscribe (RFC 8058), which starts with this field; Outlook.com expects a working unsubscribe. Transactional messages (receipts, password resets) are exempt: check them as such.",
		Fix:     "Add `List-Unsubscribe: <https://...>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and sign both with DKIM.",
	})
	FindBulkUnsubscribeNotHTTPS = bulkCatalog.Define(finding.Spec{
		Code: "bulk.unsubscribe-not-https", Severity: finding.Error,
		Title:   "List-Unsubscribe has no HTTPS URI",
		Meaning: "The List-Unsubscribe field offers no https: URI (only mailto:, http: or a malformed one). RFC 8058 one-click unsubscribe is an HTTPS POST to that URI; without one the providers' requirement is not met.",
		Fix:     "Put an HTTPS URI that unsubscribes the recipient on a POST in angle brackets in List-Unsubscribe; a mailto: URI may stay beside it.",
	})
	FindBulkNoOneClick = bulkCatalog.Define(finding.Spec{
		Code: "bulk.no-one-click-unsubscribe", Severity: finding.Error,
		Title:   "no one-click unsubscribe (List-Unsubscribe-Post)",
		Meaning: "The message lacks `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, has it more than once, or with another value. RFC 8058 §3.1 makes that exact field the signal that the HTTPS URI unsubscribes on a POST without further interaction; Gmail and Yahoo require it.",
		Fix:     "Add exactly `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and have the HTTPS URI unsubscribe on a POST with that body (honoured within two days).",
	})
	FindBulkUnsubscribeNotSigned = bulkCatalog.Define(finding.Spec{
		Code: "bulk.unsubscribe-not-signed", Severity: finding.Error,
		Title:   "the unsubscribe fields are not DKIM-signed",
		Meaning: "No passing DKIM signature covers both List-Unsubscribe and List-Unsubscribe-Post in its h= tag. RFC 8058 §4 requires it: a receiver must not act on one-click unsubscribe fields an intermediary could have added.",
		Fix:     "Include List-Unsubscribe and List-Unsubscribe-Post in the signed header fields (emailauth signs them by default).",
	})
	FindBulkBadMessageID = bulkCatalog.Define(finding.Spec{
		Code: "bulk.bad-message-id", Severity: finding.Error,
		Title:   "a missing or malformed Message-ID",
		Meaning: "The message has no Message-ID field, several, or one that is not an RFC 5322 msg-id (`<left@right>`). Gmail and Yahoo require messages formatted to RFC 5322, and Gmail rejects messages without a valid Message-ID.",
		Fix:     "Give every message one Message-ID such as `<unique-id@sending.domain>`.",
	})
	FindBulkBadDate = bulkCatalog.Define(finding.Spec{
		Code: "bulk.bad-date", Severity: finding.Error,
		Title:   "a missing or malformed Date",
		Meaning: "The message has no Date field, several, or one that is not an RFC 5322 date-time. RFC 5322 §3.6 requires exactly one, and the providers require RFC 5322 formatting.",
		Fix:     "Give every message one Date field in RFC 5322 form, such as `Mon, 23 Nov 2026 12:00:00 +0000`.",
	})
	FindBulkForgedAuthResults = bulkCatalog.Define(finding.Spec{
		Code: "bulk.forged-auth-results", Severity: finding.Error,
		Title:   "the sender added Authentication-Results",
		Meaning: "The message arrives with an Authentication-Results field that the sender (or its platform) wrote, not the receiver. Only the receiving ADMD may write one; RFC 8601 §5 has receivers delete those claiming their own authserv-id, and a message claiming its own spf=pass or dkim=pass looks like an attempt to mislead filters.",
		Fix:     "Remove Authentication-Results fields from outgoing mail; if a relay adds them, strip them before the message leaves the platform.",
	})
	FindBulkDNSError = bulkCatalog.Define(finding.Spec{
		Code: "bulk.dns-error", Severity: finding.Error, Transient: true,
		Title:   "a DNS lookup failed",
		Meaning: "A DNS query needed by a requirement (SPF, a DKIM key, DMARC, the PTR record or its forward lookup) timed out or failed (SERVFAIL), so that requirement could not be checked. This says nothing about the configuration: retry.",
		Fix:     "Retry the check; if it persists, check the name servers of the domain named in the finding.",
	})
)
