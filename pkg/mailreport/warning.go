package mailreport

import "fmt"

// Quirk names a way a report departs from its specification that the
// readers tolerate. Quirks are an API, like finding codes: a quirk is
// never renamed.
type Quirk string

// The quirks of containers (any kind of report).
const (
	// QuirkGzipTrailingData: octets after the end of a gzip stream (a
	// stray line break after a base64 attachment, seen from Mimecast).
	QuirkGzipTrailingData Quirk = "gzip-trailing-data"
	// QuirkMultipartUnterminated: a multipart message that ends without
	// its closing boundary.
	QuirkMultipartUnterminated Quirk = "multipart-unterminated"
	// QuirkBase64Padding: a base64 body without its final "=" padding.
	QuirkBase64Padding Quirk = "base64-padding"
)

// The quirks of DMARC aggregate reports.
const (
	// QuirkSchemaWrapper: the report wrapped in an unclosed <xs:schema>
	// element (seen from ikea.com).
	QuirkSchemaWrapper Quirk = "xml-schema-wrapper"
	// QuirkInvalidUTF8: octets that are not UTF-8 in a report that
	// declares (or defaults to) UTF-8; each is read as U+FFFD.
	QuirkInvalidUTF8 Quirk = "invalid-utf-8"
	// QuirkUnescapedMarkup: a "<" or "&" in text that is not markup
	// (an address written as <user@example.com> inside <email>); it is
	// read as the character itself.
	QuirkUnescapedMarkup Quirk = "unescaped-markup"
	// QuirkUpperCaseResult: result words (pass, fail, none, ...) in upper
	// or mixed case; RFC 7489 Appendix C and RFC 9990 define them in
	// lower case.
	QuirkUpperCaseResult Quirk = "upper-case-result"
	// QuirkFractionalTime: a <date_range> time with a fraction of a
	// second; the fraction is dropped.
	QuirkFractionalTime Quirk = "fractional-timestamp"
	// QuirkIdentitiesElement: <identities> instead of <identifiers>.
	QuirkIdentitiesElement Quirk = "identities-element"
	// QuirkRepeatedPolicy: more than one <policy_published>; the first
	// is used.
	QuirkRepeatedPolicy Quirk = "repeated-policy-published"
	// QuirkMissingOrgName: an empty <org_name>; the reporter is named by
	// the domain of <email>.
	QuirkMissingOrgName Quirk = "missing-org-name"
)

// The quirks of DMARC failure reports.
const (
	// QuirkNoARFPart: a failure report in plain text, without the
	// message/feedback-report part of RFC 5965; it is read as far as its
	// "Name: value" lines go.
	QuirkNoARFPart Quirk = "no-arf-part"
	// QuirkARFNotReport: the message/feedback-report part inside
	// multipart/mixed rather than multipart/report.
	QuirkARFNotReport Quirk = "arf-not-multipart-report"
	// QuirkARFMissingField: a field RFC 5965 §3.1 requires (Feedback-Type,
	// User-Agent, Version) is missing.
	QuirkARFMissingField Quirk = "arf-missing-field"
)

// The quirks of SMTP TLS reports.
const (
	// QuirkUnknownPolicyType: a policy-type other than sts, tlsa and
	// no-policy-found; its sessions are counted under "unknown".
	QuirkUnknownPolicyType Quirk = "unknown-policy-type"
	// QuirkCountMismatch: the failure details of a policy add up to more
	// failed sessions than its summary says.
	QuirkCountMismatch Quirk = "failure-count-mismatch"
)

// QuirkInfo documents one quirk.
type QuirkInfo struct {
	Quirk Quirk
	// Kind is "container", "aggregate", "failure" or "tls".
	Kind string
	// Description says what is tolerated and how it is read.
	Description string
}

// Quirks lists every quirk the readers tolerate, for documentation.
func Quirks() []QuirkInfo {
	return []QuirkInfo{
		{QuirkGzipTrailingData, "container", "octets after the end of a gzip stream are ignored"},
		{QuirkMultipartUnterminated, "container", "a multipart message without its closing boundary is read up to its end"},
		{QuirkBase64Padding, "container", "a base64 body without its final padding is decoded"},
		{QuirkSchemaWrapper, "aggregate", "a report wrapped in an unclosed <xs:schema> element is read from its <feedback> element"},
		{QuirkInvalidUTF8, "aggregate", "octets that are not UTF-8 are read as U+FFFD"},
		{QuirkUnescapedMarkup, "aggregate", "a \"<\" or \"&\" in text that does not begin markup or an entity is read as the character"},
		{QuirkUpperCaseResult, "aggregate", "result words (pass, fail, none, quarantine, ...) are read case-insensitively"},
		{QuirkFractionalTime, "aggregate", "a fraction of a second in <date_range> is dropped"},
		{QuirkIdentitiesElement, "aggregate", "<identities> is read as <identifiers>"},
		{QuirkRepeatedPolicy, "aggregate", "of several <policy_published> elements the first is used"},
		{QuirkMissingOrgName, "aggregate", "an empty <org_name> is replaced by the domain of <email>"},
		{QuirkNoARFPart, "failure", "a plain-text failure report without an ARF part is read from its \"Name: value\" lines and the headers it quotes"},
		{QuirkARFNotReport, "failure", "a message/feedback-report part inside multipart/mixed is read as ARF"},
		{QuirkARFMissingField, "failure", "an ARF part without Feedback-Type, User-Agent or Version is read"},
		{QuirkUnknownPolicyType, "tls", "a policy-type other than sts, tlsa and no-policy-found is counted as unknown"},
		{QuirkCountMismatch, "tls", "failure details that add up to more than the summary are kept; the summary's totals are used"},
	}
}

// Warning is a quirk met while reading an input: the input was read, and
// the warning says how it departed from its specification.
type Warning struct {
	// Source names the input: the file, and the member or attachment
	// inside it ("reports.zip:a.xml").
	Source string `json:"source"`
	Quirk  Quirk  `json:"quirk"`
	// Message says what was found and how it was read.
	Message string `json:"message"`
}

// String formats the warning as "source: message (quirk)".
func (w Warning) String() string {
	return fmt.Sprintf("%s: %s (%s)", w.Source, w.Message, w.Quirk)
}

// NewWarning returns a warning with a formatted message.
func NewWarning(source string, q Quirk, format string, args ...any) Warning {
	return Warning{Source: source, Quirk: q, Message: fmt.Sprintf(format, args...)}
}
