// Package failure reads DMARC failure reports: the per-message reports a
// receiver may send to the ruf= address of a DMARC record, in the Abuse
// Reporting Format (ARF, RFC 5965) with the authentication-failure
// extensions of RFC 6591 and the DMARC fields of RFC 7489 §7.3 (RFC 9991):
// feedback type, reported domain, source IP, authentication results,
// identity alignment, delivery result, and the original message or its
// header. Some receivers send plain text without an ARF part; such a
// report is read as far as its "Name: value" lines go, with a warning.
//
// Failure reports may carry personal data: the recipient's address, the
// original subject, whole messages. A Report exposes none of it unless
// the caller asks (Options.ShowHeaders): by default it carries no value of
// the original header, no address (only domains), and no raw
// Authentication-Results field. The one exception, documented on
// HeaderFromDomain, is the domain of the original From, which is the
// identifier DMARC is about.
package failure

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// Formats of failure reports.
const (
	// FormatARF is a report with a message/feedback-report part.
	FormatARF = "arf"
	// FormatText is a plain-text report without an ARF part.
	FormatText = "text"
)

// Options control how reports are read.
type Options struct {
	// ShowHeaders exposes the personal data of the report in
	// Report.Personal: the original header fields, addresses, the raw
	// Authentication-Results field.
	ShowHeaders bool
	// Limits cap what one input may cost (mailreport.DefaultLimits when
	// zero).
	Limits mailreport.Limits
}

// Report is one DMARC failure report.
type Report struct {
	// Source names where the report came from.
	Source string `json:"source"`
	// Format is FormatARF or FormatText.
	Format string `json:"format"`
	// Reporter is the domain the report came from (its From address),
	// and ReportingMTA the Reporting-MTA field, if any.
	Reporter     string `json:"reporter"`
	ReportingMTA string `json:"reporting_mta,omitempty"`
	// ReportID identifies the report: the Message-ID of the report
	// message. Two reports with the same reporter and ID are duplicates.
	ReportID string    `json:"report_id,omitempty"`
	Date     time.Time `json:"date,omitzero"`

	// FeedbackType is "auth-failure" for DMARC failure reports.
	FeedbackType string `json:"feedback_type"`
	UserAgent    string `json:"user_agent,omitempty"`
	Version      string `json:"version,omitempty"`
	// ReportedDomain is the domain the failure is about.
	ReportedDomain string    `json:"reported_domain"`
	SourceIP       string    `json:"source_ip,omitempty"`
	ArrivalDate    time.Time `json:"arrival_date,omitzero"`
	Incidents      int64     `json:"incidents"`
	// AuthFailure lists what failed: dmarc, spf, dkim, bodyhash, revoked,
	// signature, adsp (RFC 6591 §3.1, RFC 7489 §7.3).
	AuthFailure []string `json:"auth_failure,omitempty"`
	// IdentityAlignment lists the identifiers that were aligned: dkim,
	// spf, or none (RFC 7489 §7.3.1).
	IdentityAlignment []string `json:"identity_alignment,omitempty"`
	// DeliveryResult is what the receiver did: delivered, spam, policy,
	// reject or other (RFC 6591 §3.1), as the reporter wrote it.
	DeliveryResult string `json:"delivery_result,omitempty"`
	// AuthResults is the Authentication-Results field of the feedback
	// part, parsed; addresses are reduced to domains unless ShowHeaders.
	AuthResults  []AuthResult `json:"auth_results,omitempty"`
	DKIMDomain   string       `json:"dkim_domain,omitempty"`
	DKIMSelector string       `json:"dkim_selector,omitempty"`
	SPFDNS       string       `json:"spf_dns,omitempty"`
	// OriginalMailFromDomain is the domain of Original-Mail-From (the
	// envelope sender), and OriginalRcptToDomains the domains of
	// Original-Rcpt-To.
	OriginalMailFromDomain string   `json:"original_mail_from_domain,omitempty"`
	OriginalRcptToDomains  []string `json:"original_rcpt_to_domains,omitempty"`
	// HeaderFromDomain is the domain of the original message's From
	// field: the DMARC identifier, and the only value taken from the
	// original header by default.
	HeaderFromDomain string `json:"header_from_domain,omitempty"`
	// Original says what of the original message the report includes:
	// "message", "headers" or "" (nothing), and OriginalHeaders how many
	// header fields.
	Original        string `json:"original,omitempty"`
	OriginalHeaders int    `json:"original_headers,omitempty"`

	// Personal is set only when the report was read with ShowHeaders.
	Personal *Personal `json:"personal,omitempty"`
	// Warnings name the quirks the report was read despite.
	Warnings []mailreport.Warning `json:"warnings,omitempty"`
}

// Personal is the personal data of a report, exposed only on request.
type Personal struct {
	OriginalMailFrom      string   `json:"original_mail_from,omitempty"`
	OriginalRcptTo        []string `json:"original_rcpt_to,omitempty"`
	OriginalEnvelopeID    string   `json:"original_envelope_id,omitempty"`
	DKIMIdentity          string   `json:"dkim_identity,omitempty"`
	AuthenticationResults string   `json:"authentication_results,omitempty"`
	// Fields are the feedback part's fields (or a plain-text report's
	// "Name: value" lines), in order.
	Fields []Field `json:"fields,omitempty"`
	// Headers are the original message's header fields, in order, with
	// RFC 2047 encoded-words decoded.
	Headers []Field `json:"headers,omitempty"`
}

// Field is one header field or feedback field.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// maxFields bounds the fields kept from one part.
const maxFields = 500

// ParseFile reads the failure reports in one input: an e-mail message, or
// an mbox file of them. Messages of a mailbox that are not failure
// reports are skipped; a single message that is not one is an error
// wrapping mailreport.ErrNotReport.
func ParseFile(name string, r io.Reader, opts Options) ([]*Report, error) {
	u := mailreport.NewUnpacker("failure", opts.Limits)
	data, err := u.ReadInput(name, r)
	if err != nil {
		return nil, err
	}
	switch mailreport.Sniff(data) {
	case mailreport.FormatEmail:
		m, err := u.ReadMessage(name, data)
		if err != nil {
			return nil, err
		}
		rep, err := ParseMessage(u, name, m, opts)
		if err != nil {
			return nil, err
		}
		return []*Report{rep}, nil
	case mailreport.FormatMbox:
		var out []*Report
		var firstErr error
		err := mailreport.ReadMbox(bytes.NewReader(data), u.Limits.MaxInput, func(mm mailreport.MboxMessage) bool {
			src := name
			if mm.Number > 1 || len(out) > 0 {
				src = fmt.Sprintf("%s:#%d", name, mm.Number)
			}
			if mm.Err != nil {
				firstErr = fmt.Errorf("failure: %s: %w", src, mm.Err)
				return false
			}
			m, err := u.ReadMessage(src, mm.Data)
			if err == nil {
				var rep *Report
				if rep, err = ParseMessage(u, src, m, opts); err == nil {
					out = append(out, rep)
				}
			}
			if err != nil && !errors.Is(err, mailreport.ErrNotReport) {
				firstErr = err
				return false
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("failure: %s: %w", name, err)
		}
		if firstErr != nil {
			return nil, firstErr
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("failure: %s: no message of the mailbox is a DMARC failure report: %w", name, mailreport.ErrNotReport)
		}
		return out, nil
	}
	return nil, fmt.Errorf("failure: %s: not a DMARC failure report: not an e-mail message: %w", name, mailreport.ErrNotReport)
}

// Detect says whether a message is a failure report, and in which format:
// FormatARF when a part is message/feedback-report, FormatText when a
// text part reads like a plain-text DMARC failure report, "" otherwise.
func Detect(m *mailreport.Message) string {
	for _, p := range m.Parts {
		if p.MediaType == "message/feedback-report" {
			return FormatARF
		}
	}
	for _, p := range m.Parts {
		if p.MediaType == "text/plain" && isTextReport(p.Body) {
			return FormatText
		}
	}
	return ""
}

// ParseMessage reads one failure report from a message read with u.
// u's warnings are handed to the report.
func ParseMessage(u *mailreport.Unpacker, name string, m *mailreport.Message, opts Options) (*Report, error) {
	rep := &Report{Source: name}
	if opts.ShowHeaders {
		rep.Personal = &Personal{}
	}
	rep.Reporter = domainOnly(addressOf(m.Header.Get("From")))
	rep.ReportID = strings.TrimSpace(m.Header.Get("Message-Id"))
	if d, err := mail.ParseDate(m.Header.Get("Date")); err == nil {
		rep.Date = d.UTC()
	}
	var err error
	switch Detect(m) {
	case FormatARF:
		rep.Format = FormatARF
		err = parseARF(u, name, m, rep, opts)
	case FormatText:
		rep.Format = FormatText
		err = parseText(u, name, m, rep, opts)
	default:
		return nil, fmt.Errorf("failure: %s: not a DMARC failure report: no message/feedback-report part and no plain-text failure report: %w", name, mailreport.ErrNotReport)
	}
	if err != nil {
		return nil, err
	}
	rep.Warnings = append(rep.Warnings, u.Warnings...)
	u.Warnings = u.Warnings[:0]
	return rep, nil
}

func parseARF(u *mailreport.Unpacker, name string, m *mailreport.Message, rep *Report, opts Options) error {
	if m.Multipart != "multipart/report" {
		u.Warn(name, mailreport.QuirkARFNotReport, "the feedback report is inside %s, not multipart/report", orNone(m.Multipart))
	}
	var fb *mailreport.Part
	for _, p := range m.Parts {
		if p.MediaType == "message/feedback-report" {
			fb = p
			break
		}
	}
	fields, err := readFields(fb.Body)
	if err != nil {
		return fmt.Errorf("failure: %s: the message/feedback-report part is malformed: %v", name, err)
	}
	missing := []string{}
	for _, f := range []string{"Feedback-Type", "User-Agent", "Version"} {
		if !hasField(fields, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		u.Warn(name, mailreport.QuirkARFMissingField, "the feedback report lacks %s (RFC 5965 §3.1)", strings.Join(missing, ", "))
	}
	if !hasField(fields, "Feedback-Type") && !hasField(fields, "Reported-Domain") && !hasField(fields, "Source-IP") {
		return fmt.Errorf("failure: %s: the message/feedback-report part has neither Feedback-Type, Reported-Domain nor Source-IP", name)
	}
	for _, f := range fields {
		applyField(rep, f, opts.ShowHeaders)
	}
	if rep.FeedbackType == "" {
		rep.FeedbackType = "auth-failure"
	}
	if rep.FeedbackType != "auth-failure" {
		// abuse, fraud, virus, not-spam: a feedback-loop complaint.
		return fmt.Errorf("failure: %s: an ARF report of feedback type %q (a complaint or feedback-loop report), not a DMARC failure report: %w", name, mailreport.Abbreviate(rep.FeedbackType, 30), mailreport.ErrNotReport)
	}
	if rep.Incidents == 0 {
		rep.Incidents = 1 // RFC 5965 §3.2: Incidents defaults to 1
	}
	if rep.Personal != nil {
		rep.Personal.Fields = fields
	}
	for _, p := range m.Parts {
		switch p.MediaType {
		case "message/rfc822", "message/rfc-822", "text/rfc822", "message/global":
			readOriginal(rep, p.Body, "message", opts.ShowHeaders)
			return nil
		case "text/rfc822-headers", "message/rfc822-headers", "text/rfc-822-headers", "message/global-headers":
			readOriginal(rep, p.Body, "headers", opts.ShowHeaders)
			return nil
		}
	}
	return nil
}

// applyField sets what one feedback field says.
func applyField(rep *Report, f Field, show bool) {
	v := strings.TrimSpace(f.Value)
	switch strings.ToLower(f.Name) {
	case "feedback-type":
		rep.FeedbackType = strings.ToLower(v)
	case "user-agent":
		rep.UserAgent = v
	case "version":
		rep.Version = v
	case "reported-domain":
		if rep.ReportedDomain == "" {
			rep.ReportedDomain = strings.ToLower(strings.TrimSuffix(v, "."))
		}
	case "source-ip":
		if ip, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
			rep.SourceIP = ip.Unmap().String()
		}
	case "arrival-date", "received-date":
		if d, err := mail.ParseDate(v); err == nil {
			rep.ArrivalDate = d.UTC()
		}
	case "incidents":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			rep.Incidents = n
		}
	case "auth-failure":
		rep.AuthFailure = appendWords(rep.AuthFailure, v)
	case "identity-alignment":
		rep.IdentityAlignment = appendWords(rep.IdentityAlignment, v)
	case "delivery-result":
		rep.DeliveryResult = strings.ToLower(v)
	case "authentication-results":
		rep.AuthResults = append(rep.AuthResults, parseAuthResults(v, show)...)
		if rep.Personal != nil {
			rep.Personal.AuthenticationResults = v
		}
	case "dkim-domain":
		rep.DKIMDomain = strings.ToLower(v)
	case "dkim-selector":
		rep.DKIMSelector = v
	case "dkim-identity":
		if rep.Personal != nil {
			rep.Personal.DKIMIdentity = v
		}
	case "spf-dns":
		rep.SPFDNS = v
	case "reporting-mta":
		_, mta, ok := strings.Cut(v, ";")
		if !ok {
			mta = v
		}
		rep.ReportingMTA = strings.ToLower(strings.TrimSpace(mta))
	case "original-mail-from":
		rep.OriginalMailFromDomain = domainOnly(addressOf(v))
		if rep.Personal != nil {
			rep.Personal.OriginalMailFrom = v
		}
	case "original-rcpt-to":
		if d := domainOnly(addressOf(v)); d != "" && !contains(rep.OriginalRcptToDomains, d) {
			rep.OriginalRcptToDomains = append(rep.OriginalRcptToDomains, d)
		}
		if rep.Personal != nil {
			rep.Personal.OriginalRcptTo = append(rep.Personal.OriginalRcptTo, v)
		}
	case "original-envelope-id":
		if rep.Personal != nil {
			rep.Personal.OriginalEnvelopeID = v
		}
	}
}

// appendWords adds the comma- or space-separated words of v, lower case,
// without repeats.
func appendWords(list []string, v string) []string {
	for _, w := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !contains(list, w) && len(list) < 16 {
			list = append(list, w)
		}
	}
	return list
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasField(fields []Field, name string) bool {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "a single-part message"
	}
	return s
}

// readFields reads header-style fields ("Name: value", folded lines
// unfolded) in order.
func readFields(body []byte) ([]Field, error) {
	body = bytes.TrimLeft(body, "\r\n")
	r := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(body), strings.NewReader("\r\n\r\n"))))
	var out []Field
	for len(out) < maxFields {
		line, err := r.ReadContinuedLine()
		if err != nil {
			if err == io.EOF {
				break
			}
			return out, err
		}
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue // a stray line: skipped, as parsers of ARF do
		}
		out = append(out, Field{Name: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	return out, nil
}

// readOriginal reads the original message or header: the From domain by
// default, every field with show.
func readOriginal(rep *Report, data []byte, what string, show bool) {
	rep.Original = what
	fields, _ := readFields(data)
	rep.OriginalHeaders = len(fields)
	for _, f := range fields {
		if strings.EqualFold(f.Name, "From") && rep.HeaderFromDomain == "" {
			rep.HeaderFromDomain = domainOnly(addressOf(mailreport.DecodeHeader(f.Value)))
		}
	}
	if rep.ReportedDomain == "" {
		rep.ReportedDomain = rep.HeaderFromDomain
	}
	if show && rep.Personal != nil {
		for _, f := range fields {
			rep.Personal.Headers = append(rep.Personal.Headers, Field{Name: f.Name, Value: mailreport.DecodeHeader(f.Value)})
		}
	}
}

// addressOf returns the address of a header value ("Name <a@b>" or
// "a@b"), or the value itself when it does not parse.
func addressOf(v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	return v
}
