// Package tlsreport reads SMTP TLS reports (RFC 8460 §4): the daily JSON
// reports sending MTAs post to the rua of a domain's _smtp._tls record,
// as JSON, gzip (application/tlsrpt+gzip) or e-mail carrying either. It
// sums them per policy domain and policy type (sts, tlsa,
// no-policy-found): successful and failed sessions, each failure (result
// type, sending MTA, receiving MX and IP, count), and what to fix: an
// expired certificate, STARTTLS not offered, an MTA-STS policy that does
// not list an MX.
//
// Reports come from strangers: inputs are read with mailreport's limits,
// counts are bounded so sums cannot overflow, and rows are capped.
package tlsreport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// Policy types (RFC 8460 §4.3).
const (
	PolicySTS           = "sts"
	PolicyTLSA          = "tlsa"
	PolicyNoPolicyFound = "no-policy-found"
	// PolicyUnknown stands for a policy-type RFC 8460 does not define.
	PolicyUnknown = "unknown"
)

// maxCount bounds one session count, so that sums cannot overflow.
const maxCount = 1_000_000_000_000

// Report is one SMTP TLS report.
type Report struct {
	Source           string    `json:"source"`
	OrganizationName string    `json:"organization_name"`
	ContactInfo      string    `json:"contact_info,omitempty"`
	ReportID         string    `json:"report_id"`
	Begin            time.Time `json:"begin"`
	End              time.Time `json:"end"`
	Policies         []Policy  `json:"policies"`
	// Warnings name the quirks the report was read despite.
	Warnings []mailreport.Warning `json:"warnings,omitempty"`
}

// Policy is one policy of a report and the sessions made under it.
type Policy struct {
	// Type is PolicySTS, PolicyTLSA, PolicyNoPolicyFound or
	// PolicyUnknown (then RawType is what the report said).
	Type    string `json:"type"`
	RawType string `json:"raw_type,omitempty"`
	// Domain is the policy domain: the recipient domain the sessions
	// delivered to.
	Domain string `json:"domain"`
	// Strings is the policy as the sender applied it (the MTA-STS
	// policy's lines, or the TLSA records), and MXHosts the MX patterns.
	Strings []string `json:"strings,omitempty"`
	MXHosts []string `json:"mx_hosts,omitempty"`
	// Mode is the MTA-STS mode read from Strings ("enforce", "testing",
	// "none"), if any.
	Mode       string    `json:"mode,omitempty"`
	Successful int64     `json:"successful"`
	Failed     int64     `json:"failed"`
	Failures   []Failure `json:"failures,omitempty"`
}

// Failure is one failure-details entry.
type Failure struct {
	ResultType      string `json:"result_type"`
	SendingMTAIP    string `json:"sending_mta_ip,omitempty"`
	ReceivingMX     string `json:"receiving_mx,omitempty"`
	ReceivingMXHelo string `json:"receiving_mx_helo,omitempty"`
	ReceivingIP     string `json:"receiving_ip,omitempty"`
	Count           int64  `json:"count"`
	ReasonCode      string `json:"reason_code,omitempty"`
	AdditionalInfo  string `json:"additional_information,omitempty"`
}

// MXPatterns returns the MX patterns of an MTA-STS policy: its "mx:" lines,
// or else MXHosts.
func (p *Policy) MXPatterns() []string {
	var out []string
	for _, s := range p.Strings {
		k, v, ok := strings.Cut(s, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "mx") {
			out = append(out, strings.ToLower(strings.TrimSpace(v)))
		}
	}
	if len(out) == 0 {
		for _, h := range p.MXHosts {
			out = append(out, strings.ToLower(strings.TrimSpace(h)))
		}
	}
	return out
}

// ParseFile reads the reports in one input: a JSON report, a gzip file, a
// zip archive, or an e-mail message carrying one of those (RFC 8460 §5.3).
func ParseFile(name string, r io.Reader, lim mailreport.Limits) ([]*Report, error) {
	u := mailreport.NewUnpacker("tlsreport", lim)
	u.Content = "JSON"
	data, err := u.ReadInput(name, r)
	if err != nil {
		return nil, err
	}
	return Parse(u, name, data)
}

// Parse reads the reports in data (as ParseFile does), charging what it
// decompresses to u's budget.
func Parse(u *mailreport.Unpacker, name string, data []byte) ([]*Report, error) {
	switch mailreport.Sniff(data) {
	case mailreport.FormatEmail, mailreport.FormatMbox:
		m, err := u.ReadMessage(name, data)
		if err != nil {
			return nil, err
		}
		return ParseMessage(u, name, m)
	case mailreport.FormatUnknown:
		return nil, fmt.Errorf("tlsreport: %s: not an SMTP TLS report: neither JSON, gzip, zip nor an e-mail message carrying one: %w", name, mailreport.ErrNotReport)
	}
	docs, err := u.Documents(name, data)
	if err != nil {
		return nil, err
	}
	return parseDocuments(u, docs)
}

// ParseMessage reads the reports attached to an e-mail message.
func ParseMessage(u *mailreport.Unpacker, name string, m *mailreport.Message) ([]*Report, error) {
	docs, err := u.Attachments(name, m)
	if err != nil && len(docs) == 0 {
		return nil, err
	}
	return parseDocuments(u, docs)
}

func parseDocuments(u *mailreport.Unpacker, docs []mailreport.Document) ([]*Report, error) {
	return mailreport.ParseEach(u, docs, "tlsreport", "JSON report", ParseDocument)
}

// ParseDocument reads one document unpacked by u (see
// mailreport.Unpacker.Documents). The warnings u collected so far (those of
// the document's container) are handed to the report.
func ParseDocument(u *mailreport.Unpacker, d mailreport.Document) (*Report, error) {
	if d.Format != mailreport.FormatJSON {
		return nil, fmt.Errorf("tlsreport: %s: an XML document (a DMARC aggregate report?), not an SMTP TLS report: %w", d.Source, mailreport.ErrNotReport)
	}
	rep, err := parseJSON(d.Source, d.Data, u.Limits.MaxRecords)
	if err != nil {
		return nil, err
	}
	rep.Warnings = append(append([]mailreport.Warning(nil), u.Warnings...), rep.Warnings...)
	u.Warnings = u.Warnings[:0]
	return rep, nil
}

// ParseJSON reads one JSON report document.
func ParseJSON(name string, data []byte, lim mailreport.Limits) (*Report, error) {
	lim = lim.WithDefaults()
	if int64(len(data)) > lim.MaxExpanded {
		return nil, fmt.Errorf("tlsreport: %s: the JSON is larger than %s: %w", name, mailreport.Human(lim.MaxExpanded), mailreport.ErrTooLarge)
	}
	return parseJSON(name, data, lim.MaxRecords)
}

// The JSON shapes (RFC 8460 §4.4).
type jsonReport struct {
	OrganizationName *string `json:"organization-name"`
	DateRange        *struct {
		Start string `json:"start-datetime"`
		End   string `json:"end-datetime"`
	} `json:"date-range"`
	ContactInfo string          `json:"contact-info"`
	ReportID    *string         `json:"report-id"`
	Policies    json.RawMessage `json:"policies"`
}

type jsonPolicy struct {
	Policy struct {
		Type    string     `json:"policy-type"`
		Strings stringList `json:"policy-string"`
		Domain  string     `json:"policy-domain"`
		MXHost  stringList `json:"mx-host"`
	} `json:"policy"`
	Summary struct {
		Successful json.Number `json:"total-successful-session-count"`
		Failed     json.Number `json:"total-failure-session-count"`
	} `json:"summary"`
	FailureDetails json.RawMessage `json:"failure-details"`
}

type jsonFailure struct {
	ResultType      string      `json:"result-type"`
	SendingMTAIP    string      `json:"sending-mta-ip"`
	ReceivingMX     string      `json:"receiving-mx-hostname"`
	ReceivingMXHelo string      `json:"receiving-mx-helo"`
	ReceivingIP     string      `json:"receiving-ip"`
	Count           json.Number `json:"failed-session-count"`
	AdditionalInfo  string      `json:"additional-information"`
	ReasonCode      string      `json:"failure-reason-code"`
}

// stringList reads a JSON string or array of strings: RFC 8460's example
// writes mx-host as a string, most reporters as an array.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("null")) {
		return nil
	}
	if bytes.HasPrefix(b, []byte(`"`)) {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or an array of strings")
	}
	*s = many
	return nil
}

func parseJSON(name string, data []byte, maxRows int) (*Report, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("tlsreport: %s: "+format, append([]any{name}, args...)...)
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	var jr jsonReport
	if err := dec.Decode(&jr); err != nil {
		return nil, fail("not valid JSON: %v", jsonError(err))
	}
	if jr.Policies == nil || (jr.OrganizationName == nil && jr.ReportID == nil) {
		return nil, fmt.Errorf("tlsreport: %s: not an SMTP TLS report: \"organization-name\", \"report-id\" or \"policies\" is missing: %w", name, mailreport.ErrNotReport)
	}
	rep := &Report{Source: name, ContactInfo: strings.TrimSpace(jr.ContactInfo), Policies: []Policy{}}
	if jr.OrganizationName != nil {
		rep.OrganizationName = strings.TrimSpace(*jr.OrganizationName)
	}
	if jr.ReportID != nil {
		rep.ReportID = strings.TrimSpace(*jr.ReportID)
	}
	if jr.DateRange != nil {
		var err error
		if rep.Begin, err = parseTime(jr.DateRange.Start); err != nil {
			return nil, fail("\"start-datetime\" %q is not an RFC 3339 date-time", mailreport.Abbreviate(jr.DateRange.Start, 40))
		}
		if rep.End, err = parseTime(jr.DateRange.End); err != nil {
			return nil, fail("\"end-datetime\" %q is not an RFC 3339 date-time", mailreport.Abbreviate(jr.DateRange.End, 40))
		}
	}
	var policies []json.RawMessage
	if err := json.Unmarshal(jr.Policies, &policies); err != nil {
		return nil, fail("\"policies\" is not an array")
	}
	if len(policies) > maxRows {
		return nil, fail("more than %d policies: %w", maxRows, mailreport.ErrTooLarge)
	}
	rows := 0
	for i, raw := range policies {
		var jp jsonPolicy
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&jp); err != nil {
			return nil, fail("policy %d: %v", i+1, jsonError(err))
		}
		p := Policy{RawType: strings.TrimSpace(jp.Policy.Type), Domain: normalizeHost(jp.Policy.Domain), Strings: []string(jp.Policy.Strings), MXHosts: []string(jp.Policy.MXHost)}
		switch t := strings.ToLower(p.RawType); t {
		case PolicySTS, PolicyTLSA, PolicyNoPolicyFound:
			p.Type, p.RawType = t, ""
		default:
			p.Type = PolicyUnknown
			rep.Warnings = append(rep.Warnings, mailreport.NewWarning(name, mailreport.QuirkUnknownPolicyType, "policy %d has policy-type %q; its sessions are counted as unknown", i+1, mailreport.Abbreviate(p.RawType, 40)))
		}
		for _, s := range p.Strings {
			if k, v, ok := strings.Cut(s, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "mode") {
				p.Mode = strings.ToLower(strings.TrimSpace(v))
			}
		}
		var err error
		if p.Successful, err = count(jp.Summary.Successful); err != nil {
			return nil, fail("policy %d: \"total-successful-session-count\" %v", i+1, err)
		}
		if p.Failed, err = count(jp.Summary.Failed); err != nil {
			return nil, fail("policy %d: \"total-failure-session-count\" %v", i+1, err)
		}
		var details []jsonFailure
		if len(jp.FailureDetails) > 0 && !bytes.Equal(bytes.TrimSpace(jp.FailureDetails), []byte("null")) {
			d := json.NewDecoder(bytes.NewReader(jp.FailureDetails))
			d.UseNumber()
			if err := d.Decode(&details); err != nil {
				return nil, fail("policy %d: \"failure-details\": %v", i+1, jsonError(err))
			}
		}
		rows += len(details)
		if rows > maxRows {
			return nil, fail("more than %d failure details: %w", maxRows, mailreport.ErrTooLarge)
		}
		var sum int64
		for j, jf := range details {
			f := Failure{ResultType: strings.ToLower(strings.TrimSpace(jf.ResultType)), SendingMTAIP: strings.TrimSpace(jf.SendingMTAIP), ReceivingMX: normalizeHost(jf.ReceivingMX),
				ReceivingMXHelo: strings.TrimSpace(jf.ReceivingMXHelo), ReceivingIP: strings.TrimSpace(jf.ReceivingIP), ReasonCode: strings.TrimSpace(jf.ReasonCode), AdditionalInfo: strings.TrimSpace(jf.AdditionalInfo)}
			if f.Count, err = count(jf.Count); err != nil {
				return nil, fail("policy %d, failure %d: \"failed-session-count\" %v", i+1, j+1, err)
			}
			if f.ResultType == "" {
				return nil, fail("policy %d, failure %d: \"result-type\" is missing", i+1, j+1)
			}
			sum += f.Count
			p.Failures = append(p.Failures, f)
		}
		if sum > p.Failed {
			rep.Warnings = append(rep.Warnings, mailreport.NewWarning(name, mailreport.QuirkCountMismatch, "policy %d: the failure details add up to %d failed sessions, the summary says %d", i+1, sum, p.Failed))
		}
		rep.Policies = append(rep.Policies, p)
	}
	return rep, nil
}

func count(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a non-negative integer", mailreport.Abbreviate(string(n), 30))
	}
	if v > maxCount {
		return 0, fmt.Errorf("%d is implausibly large", v)
	}
	return v, nil
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("bad time")
}

func normalizeHost(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// jsonError shortens encoding/json's errors, which can quote input.
func jsonError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at octet %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%q has the wrong type (%s)", te.Field, te.Value)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends early"
	}
	return mailreport.Abbreviate(err.Error(), 120)
}
