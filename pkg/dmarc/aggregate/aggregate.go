// Package aggregate reads DMARC aggregate reports (RFC 9990, and the older
// RFC 7489 Appendix C schema), summarizes them per source IP (Summarize),
// and analyses them per domain (Analyzer): which sources send as the
// domain, how much of their mail passes SPF, DKIM and DMARC with
// alignment, what to do about each failing source, and whether the domain
// is ready to move to p=quarantine or p=reject.
//
// Reports come from strangers: every input is treated as hostile. Input and
// decompressed sizes are capped, zip archives are limited in members, XML
// documents with a DOCTYPE (and so entity declarations) are refused, and
// every error names the file and says what is wrong. Receivers are sloppy
// in a few harmless ways (a report wrapped in <xs:schema>, bytes that are
// not UTF-8, an address written as <user@example.com> inside <email>,
// result words in upper case); such a report is read and carries a
// Warning naming the quirk (see mailreport.Quirks).
package aggregate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// Namespace is the XML namespace of RFC 9990 reports.
const Namespace = "urn:ietf:params:xml:ns:dmarc-2.0"

// Limits caps what a report may cost to read.
type Limits struct {
	// MaxInput is the most octets read from a file (compressed or not).
	MaxInput int64
	// MaxXML is the most octets of XML a report may expand to, for each
	// document and in total for one file.
	MaxXML int64
	// MaxMembers is the most files a zip archive may hold.
	MaxMembers int
	// MaxRecords is the most <record> elements a report may hold.
	MaxRecords int
}

// DefaultLimits are 50 MB of input, 50 MB of XML, 32 zip members and one
// million records.
var DefaultLimits = Limits{MaxInput: 50 << 20, MaxXML: 50 << 20, MaxMembers: 32, MaxRecords: 1_000_000}

// Common returns the limits as mailreport.Limits (MaxXML is MaxExpanded).
func (l Limits) Common() mailreport.Limits {
	return mailreport.Limits{MaxInput: l.MaxInput, MaxExpanded: l.MaxXML, MaxMembers: l.MaxMembers, MaxRecords: l.MaxRecords}.WithDefaults()
}

// maxCount bounds one row's message count, so that sums cannot overflow.
const maxCount = 1_000_000_000_000

// ErrTooLarge is wrapped by errors about input over a limit. It is
// mailreport.ErrTooLarge.
var ErrTooLarge = mailreport.ErrTooLarge

// Report is one parsed aggregate report.
type Report struct {
	// Source names where the report came from: the file, and the member
	// or attachment inside it.
	Source string `json:"source"`
	// Schema is "rfc9990" (the dmarc-2.0 namespace) or "rfc7489".
	Schema   string          `json:"schema"`
	Version  string          `json:"version,omitempty"`
	Metadata Metadata        `json:"metadata"`
	Policy   PolicyPublished `json:"policy_published"`
	Records  []Record        `json:"records"`
	// Warnings name the quirks the report was read despite.
	Warnings []mailreport.Warning `json:"warnings,omitempty"`
}

// Metadata is report_metadata.
type Metadata struct {
	OrgName          string    `json:"org_name"`
	Email            string    `json:"email"`
	ExtraContactInfo string    `json:"extra_contact_info,omitempty"`
	ReportID         string    `json:"report_id"`
	Begin            time.Time `json:"begin"`
	End              time.Time `json:"end"`
	Generator        string    `json:"generator,omitempty"`
	Errors           []string  `json:"errors,omitempty"`
}

// PolicyPublished is policy_published: the record the reporter applied.
type PolicyPublished struct {
	Domain          string `json:"domain"`
	ADKIM           string `json:"adkim,omitempty"`
	ASPF            string `json:"aspf,omitempty"`
	P               string `json:"p"`
	SP              string `json:"sp,omitempty"`
	NP              string `json:"np,omitempty"`
	PSD             string `json:"psd,omitempty"`
	Testing         string `json:"testing,omitempty"`
	Pct             string `json:"pct,omitempty"`
	FO              string `json:"fo,omitempty"`
	DiscoveryMethod string `json:"discovery_method,omitempty"`
}

// Record is one row of a report: messages from one source with one set of
// results.
type Record struct {
	SourceIP string `json:"source_ip"`
	Count    int64  `json:"count"`
	// Disposition is what the receiver did: none, quarantine or reject
	// (RFC 9990 adds pass).
	Disposition string `json:"disposition"`
	// DKIM and SPF are the DMARC-aligned results (policy_evaluated).
	DKIM    string   `json:"dkim"`
	SPF     string   `json:"spf"`
	Reasons []Reason `json:"reasons,omitempty"`

	HeaderFrom   string `json:"header_from"`
	EnvelopeFrom string `json:"envelope_from,omitempty"`
	EnvelopeTo   string `json:"envelope_to,omitempty"`

	AuthDKIM []DKIMAuth `json:"auth_dkim,omitempty"`
	AuthSPF  []SPFAuth  `json:"auth_spf,omitempty"`
}

// Reason is a policy override reason (forwarded, mailing_list, ...).
type Reason struct {
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
}

// DKIMAuth is one auth_results/dkim element (raw, unaligned result).
type DKIMAuth struct {
	Domain   string `json:"domain"`
	Selector string `json:"selector,omitempty"`
	Result   string `json:"result"`
}

// SPFAuth is one auth_results/spf element (raw, unaligned result).
type SPFAuth struct {
	Domain string `json:"domain"`
	Scope  string `json:"scope,omitempty"`
	Result string `json:"result"`
}

// DMARCPass reports whether the row passed DMARC: aligned DKIM or SPF.
func (r *Record) DMARCPass() bool { return r.DKIM == "pass" || r.SPF == "pass" }

// Messages returns the sum of the records' counts.
func (rep *Report) Messages() int64 {
	var n int64
	for i := range rep.Records {
		n += rep.Records[i].Count
	}
	return n
}

// ParseFile reads the reports in one input: an XML report, a gzip file, a
// zip archive of one or more reports, or an e-mail message carrying one of
// those as an attachment. name is used in errors and in each Report's
// Source. Quirks the reports were read despite are in each Report's
// Warnings.
func ParseFile(name string, r io.Reader, lim Limits) ([]*Report, error) {
	u := mailreport.NewUnpacker("aggregate", lim.Common())
	u.Content = "XML"
	data, err := u.ReadInput(name, r)
	if err != nil {
		return nil, err
	}
	return Parse(u, name, data)
}

// Parse reads the reports in data (as ParseFile does), charging what it
// decompresses to u's budget. u's warnings are handed to the reports: each
// report carries those met while reading it and its container.
func Parse(u *mailreport.Unpacker, name string, data []byte) ([]*Report, error) {
	var docs []mailreport.Document
	var err error
	switch mailreport.Sniff(data) {
	case mailreport.FormatMbox:
		return parseMbox(u, name, data)
	case mailreport.FormatEmail:
		var m *mailreport.Message
		m, err = u.ReadMessage(name, data)
		if err != nil {
			return nil, err
		}
		return ParseMessage(u, name, m)
	case mailreport.FormatUnknown:
		return nil, fmt.Errorf("aggregate: %s: not a DMARC aggregate report: neither XML, gzip, zip nor an e-mail message carrying one: %w", name, mailreport.ErrNotReport)
	}
	docs, err = u.Documents(name, data)
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
	reps, perr := parseDocuments(u, docs)
	if perr != nil {
		return nil, perr
	}
	return reps, nil
}

// parseMbox reads the reports of every message of a mailbox file; messages
// that carry no report are skipped.
func parseMbox(u *mailreport.Unpacker, name string, data []byte) ([]*Report, error) {
	var out []*Report
	var firstErr error
	err := mailreport.ReadMbox(bytes.NewReader(data), u.Limits.MaxInput, func(mm mailreport.MboxMessage) bool {
		src := fmt.Sprintf("%s:#%d", name, mm.Number)
		if mm.Err != nil {
			firstErr = fmt.Errorf("aggregate: %s: %w", src, mm.Err)
			return false
		}
		m, err := u.ReadMessage(src, mm.Data)
		if err == nil {
			var reps []*Report
			reps, err = ParseMessage(u, src, m)
			out = append(out, reps...)
		}
		if err != nil && !errors.Is(err, mailreport.ErrNotReport) {
			firstErr = err
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("aggregate: %s: %w", name, err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("aggregate: %s: no message of the mailbox carries a report: %w", name, mailreport.ErrNotReport)
	}
	return out, nil
}

func parseDocuments(u *mailreport.Unpacker, docs []mailreport.Document) ([]*Report, error) {
	return mailreport.ParseEach(u, docs, "aggregate", "XML report", ParseDocument)
}

// ParseDocument reads one document unpacked by u (see
// mailreport.Unpacker.Documents). The warnings u collected so far (those of
// the document's container) are handed to the report.
func ParseDocument(u *mailreport.Unpacker, d mailreport.Document) (*Report, error) {
	if d.Format != mailreport.FormatXML {
		return nil, fmt.Errorf("aggregate: %s: a JSON document (an SMTP TLS report?), not a DMARC aggregate report: %w", d.Source, mailreport.ErrNotReport)
	}
	rep, warns, err := parseXML(d.Source, d.Data, u.Limits.MaxRecords)
	if err != nil {
		return nil, err
	}
	rep.Warnings = append(append(rep.Warnings, u.Warnings...), warns...)
	u.Warnings = u.Warnings[:0]
	return rep, nil
}

// ParseXML reads one XML report document.
func ParseXML(name string, data []byte, lim Limits) (*Report, error) {
	lim2 := lim.Common()
	if int64(len(data)) > lim2.MaxExpanded {
		return nil, fmt.Errorf("aggregate: %s: the XML is larger than %s: %w", name, mailreport.Human(lim2.MaxExpanded), ErrTooLarge)
	}
	rep, warns, err := parseXML(name, data, lim2.MaxRecords)
	if err != nil {
		return nil, err
	}
	rep.Warnings = warns
	return rep, nil
}
