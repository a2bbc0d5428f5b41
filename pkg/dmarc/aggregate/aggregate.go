// Package aggregate reads DMARC aggregate reports (RFC 9990, and the older
// RFC 7489 Appendix C schema) and summarizes them per source IP.
//
// Reports come from strangers: every input is treated as hostile. Input and
// decompressed sizes are capped, zip archives are limited in members, XML
// documents with a DOCTYPE (and so entity declarations) are refused, and
// every error names the file and says what is wrong.
package aggregate

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// maxCount bounds one row's message count, so that sums cannot overflow.
const maxCount = 1_000_000_000_000

// ErrTooLarge is wrapped by errors about input over a limit.
var ErrTooLarge = errors.New("over the size limit")

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
	// Disposition is what the receiver did: none, quarantine or reject.
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

// The XML shapes. Element names carry no namespace so that both schemas
// (RFC 9990 in its namespace, RFC 7489 without one) decode.
type xmlFeedback struct {
	XMLName  xml.Name `xml:"feedback"`
	Version  string   `xml:"version"`
	Metadata struct {
		OrgName          string `xml:"org_name"`
		Email            string `xml:"email"`
		ExtraContactInfo string `xml:"extra_contact_info"`
		ReportID         string `xml:"report_id"`
		DateRange        struct {
			Begin string `xml:"begin"`
			End   string `xml:"end"`
		} `xml:"date_range"`
		Error     []string `xml:"error"`
		Generator string   `xml:"generator"`
	} `xml:"report_metadata"`
	Policy struct {
		Domain          string `xml:"domain"`
		ADKIM           string `xml:"adkim"`
		ASPF            string `xml:"aspf"`
		P               string `xml:"p"`
		SP              string `xml:"sp"`
		NP              string `xml:"np"`
		PSD             string `xml:"psd"`
		Testing         string `xml:"testing"`
		T               string `xml:"t"`
		Pct             string `xml:"pct"`
		FO              string `xml:"fo"`
		DiscoveryMethod string `xml:"discovery_method"`
	} `xml:"policy_published"`
}

type xmlRecord struct {
	Row struct {
		SourceIP string `xml:"source_ip"`
		Count    string `xml:"count"`
		Policy   struct {
			Disposition string `xml:"disposition"`
			DKIM        string `xml:"dkim"`
			SPF         string `xml:"spf"`
			Reason      []struct {
				Type    string `xml:"type"`
				Comment string `xml:"comment"`
			} `xml:"reason"`
		} `xml:"policy_evaluated"`
	} `xml:"row"`
	Identifiers struct {
		EnvelopeTo   string `xml:"envelope_to"`
		EnvelopeFrom string `xml:"envelope_from"`
		HeaderFrom   string `xml:"header_from"`
	} `xml:"identifiers"`
	Auth struct {
		DKIM []struct {
			Domain   string `xml:"domain"`
			Selector string `xml:"selector"`
			Result   string `xml:"result"`
		} `xml:"dkim"`
		SPF []struct {
			Domain string `xml:"domain"`
			Scope  string `xml:"scope"`
			Result string `xml:"result"`
		} `xml:"spf"`
	} `xml:"auth_results"`
}

// ParseFile reads the reports in one input: an XML report, a gzip file, a
// zip archive of one or more reports, or an e-mail message carrying one of
// those as an attachment (or as its body). name is used in errors and in
// each Report's Source.
func ParseFile(name string, r io.Reader, lim Limits) ([]*Report, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("aggregate: %s: reading: %w", name, err)
	}
	if int64(len(data)) > lim.MaxInput {
		return nil, fmt.Errorf("aggregate: %s: the file is larger than %s: %w", name, human(lim.MaxInput), ErrTooLarge)
	}
	budget := lim.MaxXML
	return parseData(name, data, lim, &budget, 0)
}

func (l Limits) withDefaults() Limits {
	if l.MaxInput <= 0 {
		l.MaxInput = DefaultLimits.MaxInput
	}
	if l.MaxXML <= 0 {
		l.MaxXML = DefaultLimits.MaxXML
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultLimits.MaxMembers
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultLimits.MaxRecords
	}
	return l
}

// Kind names the format of data, from its first octets: "gzip", "zip",
// "xml", "email" or "" when unknown.
func Kind(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return "zip"
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(t, []byte("<")) {
		return "xml"
	}
	if looksLikeEmail(data) {
		return "email"
	}
	return ""
}

func looksLikeEmail(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	name, _, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 || len(name) > 76 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func parseData(name string, data []byte, lim Limits, budget *int64, depth int) ([]*Report, error) {
	if depth > 3 {
		return nil, fmt.Errorf("aggregate: %s: containers nested too deeply", name)
	}
	switch Kind(data) {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("aggregate: %s: not a valid gzip file: %v", name, err)
		}
		inner, err := readLimited(zr, budget, lim)
		if err != nil {
			return nil, fmt.Errorf("aggregate: %s: decompressing: %w", name, err)
		}
		if Kind(inner) != "xml" {
			return nil, fmt.Errorf("aggregate: %s: the gzip file does not hold an XML report", name)
		}
		rep, err := parseXML(name, inner, lim)
		if err != nil {
			return nil, err
		}
		return []*Report{rep}, nil
	case "zip":
		return parseZip(name, data, lim, budget)
	case "xml":
		if int64(len(data)) > *budget {
			return nil, fmt.Errorf("aggregate: %s: the XML is larger than %s: %w", name, human(lim.MaxXML), ErrTooLarge)
		}
		*budget -= int64(len(data))
		rep, err := parseXML(name, data, lim)
		if err != nil {
			return nil, err
		}
		return []*Report{rep}, nil
	case "email":
		if depth > 0 {
			return nil, fmt.Errorf("aggregate: %s: an e-mail inside a container is not read", name)
		}
		return parseEmail(name, data, lim, budget, depth)
	}
	return nil, fmt.Errorf("aggregate: %s: not a DMARC aggregate report: neither XML, gzip, zip nor an e-mail message carrying one", name)
}

// readLimited reads r, charging the octets to budget; it fails once the
// budget is spent (a decompression bomb).
func readLimited(r io.Reader, budget *int64, lim Limits) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, *budget+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > *budget {
		return nil, fmt.Errorf("it expands past %s of XML: %w", human(lim.MaxXML), ErrTooLarge)
	}
	*budget -= int64(len(data))
	return data, nil
}

func parseZip(name string, data []byte, lim Limits, budget *int64) ([]*Report, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("aggregate: %s: not a valid zip archive: %v", name, err)
	}
	if len(zr.File) > lim.MaxMembers {
		return nil, fmt.Errorf("aggregate: %s: the archive holds %d files; at most %d are read: %w", name, len(zr.File), lim.MaxMembers, ErrTooLarge)
	}
	var out []*Report
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		member := name + ":" + f.Name
		if f.UncompressedSize64 > uint64(*budget) {
			return nil, fmt.Errorf("aggregate: %s: declares %s uncompressed, past the %s limit: %w", member, human(int64(min(f.UncompressedSize64, 1<<62))), human(lim.MaxXML), ErrTooLarge)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("aggregate: %s: %v", member, err)
		}
		inner, err := readLimited(rc, budget, lim)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("aggregate: %s: decompressing: %w", member, err)
		}
		if Kind(inner) != "xml" {
			if strings.EqualFold(path.Ext(f.Name), ".xml") {
				return nil, fmt.Errorf("aggregate: %s: not XML", member)
			}
			continue // a README or signature next to the report
		}
		rep, err := parseXML(member, inner, lim)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("aggregate: %s: the archive holds no XML report", name)
	}
	return out, nil
}

func parseEmail(name string, data []byte, lim Limits, budget *int64, depth int) ([]*Report, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, fmt.Errorf("aggregate: %s: not a valid e-mail message: %v", name, err)
	}
	var out []*Report
	var firstErr error
	var walk func(h textHeader, body io.Reader, level int) error
	walk = func(h textHeader, body io.Reader, level int) error {
		if level > 8 {
			return fmt.Errorf("MIME parts nested too deeply")
		}
		ct := h.Get("Content-Type")
		mt, params, perr := mime.ParseMediaType(ct)
		if ct == "" || perr != nil {
			mt = "text/plain"
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return fmt.Errorf("bad MIME structure: %v", err)
				}
				if err := walk(p.Header, p, level+1); err != nil {
					return err
				}
			}
		}
		filename := params["name"]
		if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && dp["filename"] != "" {
			filename = dp["filename"]
		}
		if !isReportPart(mt, filename) {
			return nil
		}
		var r io.Reader = body
		switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, &newlineSkipper{r: body})
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		}
		part, err := io.ReadAll(io.LimitReader(r, lim.MaxInput+1))
		if err != nil {
			return fmt.Errorf("attachment %q: cannot decode: %v", filename, err)
		}
		if int64(len(part)) > lim.MaxInput {
			return fmt.Errorf("attachment %q is larger than %s: %w", filename, human(lim.MaxInput), ErrTooLarge)
		}
		pname := name
		if filename != "" {
			pname = name + ":" + filename
		}
		reps, err := parseData(pname, part, lim, budget, depth+1)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return err
			}
			if firstErr == nil {
				firstErr = err
			}
			return nil
		}
		out = append(out, reps...)
		return nil
	}
	if err := walk(msg.Header, msg.Body, 0); err != nil {
		if strings.HasPrefix(err.Error(), "aggregate:") {
			return nil, err
		}
		return nil, fmt.Errorf("aggregate: %s: %w", name, err)
	}
	if len(out) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("aggregate: %s: the e-mail carries no report (no XML, gzip or zip attachment)", name)
	}
	return out, nil
}

type textHeader interface{ Get(string) string }

// newlineSkipper drops CR, LF, spaces and tabs so base64 bodies with odd
// line endings decode.
type newlineSkipper struct{ r io.Reader }

func (n *newlineSkipper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

func isReportPart(mediaType, filename string) bool {
	switch mediaType {
	case "application/gzip", "application/x-gzip", "application/zip", "application/x-zip-compressed", "application/x-zip", "application/xml", "text/xml":
		return true
	case "application/octet-stream":
		f := strings.ToLower(filename)
		return strings.HasSuffix(f, ".xml") || strings.HasSuffix(f, ".gz") || strings.HasSuffix(f, ".zip")
	}
	return false
}

// parseXML decodes one report document. DOCTYPE declarations are refused:
// a report has no use for them, and they are how entity expansion attacks
// begin.
func parseXML(name string, data []byte, lim Limits) (*Report, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var start *xml.StartElement
	for start == nil {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("aggregate: %s: not a report: the XML document is empty", name)
		}
		if err != nil {
			return nil, fmt.Errorf("aggregate: %s: not well-formed XML: %v", name, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("aggregate: %s: the XML has a DOCTYPE or another declaration (%s); reports never need one, and it is refused to rule out entity attacks", name, abbreviate(string(t), 40))
		case xml.StartElement:
			s := t.Copy()
			start = &s
		}
	}
	if start.Name.Local != "feedback" {
		return nil, fmt.Errorf("aggregate: %s: not a DMARC aggregate report: the root element is <%s>, want <feedback>", name, start.Name.Local)
	}
	rep := &Report{Source: name, Schema: "rfc7489", Records: []Record{}}
	if start.Name.Space == Namespace {
		rep.Schema = "rfc9990"
	}
	var fb xmlFeedback
	fb.XMLName = start.Name
	// Decode the feedback element's children one at a time, so records
	// stream and are counted.
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("aggregate: %s: not well-formed XML: %v", name, err)
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			if _, isDir := tok.(xml.Directive); isDir {
				return nil, fmt.Errorf("aggregate: %s: a declaration inside the report is refused", name)
			}
			continue
		}
		switch se.Name.Local {
		case "version":
			if err := d.DecodeElement(&fb.Version, &se); err != nil {
				return nil, fmt.Errorf("aggregate: %s: not well-formed XML in <version>: %v", name, err)
			}
		case "report_metadata":
			if err := d.DecodeElement(&fb.Metadata, &se); err != nil {
				return nil, fmt.Errorf("aggregate: %s: not well-formed XML in <report_metadata>: %v", name, err)
			}
		case "policy_published":
			if err := d.DecodeElement(&fb.Policy, &se); err != nil {
				return nil, fmt.Errorf("aggregate: %s: not well-formed XML in <policy_published>: %v", name, err)
			}
		case "record":
			if len(rep.Records) >= lim.MaxRecords {
				return nil, fmt.Errorf("aggregate: %s: more than %d records: %w", name, lim.MaxRecords, ErrTooLarge)
			}
			var xr xmlRecord
			if err := d.DecodeElement(&xr, &se); err != nil {
				return nil, fmt.Errorf("aggregate: %s: not well-formed XML in record %d: %v", name, len(rep.Records)+1, err)
			}
			rec, err := convertRecord(xr)
			if err != nil {
				return nil, fmt.Errorf("aggregate: %s: record %d: %v", name, len(rep.Records)+1, err)
			}
			rep.Records = append(rep.Records, rec)
		default:
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("aggregate: %s: not well-formed XML: %v", name, err)
			}
		}
	}
	if err := fillReport(rep, &fb); err != nil {
		return nil, fmt.Errorf("aggregate: %s: %v", name, err)
	}
	return rep, nil
}

func fillReport(rep *Report, fb *xmlFeedback) error {
	m := fb.Metadata
	rep.Version = strings.TrimSpace(fb.Version)
	rep.Metadata = Metadata{OrgName: ts(m.OrgName), Email: ts(m.Email), ExtraContactInfo: ts(m.ExtraContactInfo), ReportID: ts(m.ReportID), Generator: ts(m.Generator)}
	for _, e := range m.Error {
		rep.Metadata.Errors = append(rep.Metadata.Errors, ts(e))
	}
	if rep.Metadata.ReportID == "" && rep.Metadata.OrgName == "" {
		return fmt.Errorf("not a DMARC aggregate report: <report_metadata> with <org_name> and <report_id> is missing")
	}
	for _, x := range []struct {
		s   string
		dst *time.Time
		tag string
	}{{m.DateRange.Begin, &rep.Metadata.Begin, "begin"}, {m.DateRange.End, &rep.Metadata.End, "end"}} {
		if ts(x.s) == "" {
			continue
		}
		n, err := strconv.ParseInt(ts(x.s), 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return fmt.Errorf("<date_range><%s> %q is not a Unix time", x.tag, abbreviate(x.s, 30))
		}
		*x.dst = time.Unix(n, 0).UTC()
	}
	p := fb.Policy
	rep.Policy = PolicyPublished{Domain: lc(p.Domain), ADKIM: lc(p.ADKIM), ASPF: lc(p.ASPF), P: lc(p.P), SP: lc(p.SP), NP: lc(p.NP), PSD: lc(p.PSD), Testing: lc(p.Testing), Pct: ts(p.Pct), FO: ts(p.FO), DiscoveryMethod: lc(p.DiscoveryMethod)}
	if rep.Policy.Testing == "" {
		rep.Policy.Testing = lc(p.T)
	}
	return nil
}

func convertRecord(x xmlRecord) (Record, error) {
	r := Record{
		SourceIP:     ts(x.Row.SourceIP),
		Disposition:  lc(x.Row.Policy.Disposition),
		DKIM:         lc(x.Row.Policy.DKIM),
		SPF:          lc(x.Row.Policy.SPF),
		HeaderFrom:   lc(x.Identifiers.HeaderFrom),
		EnvelopeFrom: lc(x.Identifiers.EnvelopeFrom),
		EnvelopeTo:   lc(x.Identifiers.EnvelopeTo),
	}
	ip, err := netip.ParseAddr(r.SourceIP)
	if err != nil {
		return r, fmt.Errorf("<source_ip> %q is not an IP address", abbreviate(r.SourceIP, 40))
	}
	r.SourceIP = ip.Unmap().String()
	c := ts(x.Row.Count)
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 {
		return r, fmt.Errorf("<count> %q is not a non-negative integer", abbreviate(c, 30))
	}
	if n > maxCount {
		return r, fmt.Errorf("<count> %d is implausibly large (over %d messages in one row)", n, int64(maxCount))
	}
	r.Count = n
	for _, rs := range x.Row.Policy.Reason {
		r.Reasons = append(r.Reasons, Reason{Type: lc(rs.Type), Comment: ts(rs.Comment)})
	}
	for _, d := range x.Auth.DKIM {
		r.AuthDKIM = append(r.AuthDKIM, DKIMAuth{Domain: lc(d.Domain), Selector: ts(d.Selector), Result: lc(d.Result)})
	}
	for _, s := range x.Auth.SPF {
		r.AuthSPF = append(r.AuthSPF, SPFAuth{Domain: lc(s.Domain), Scope: lc(s.Scope), Result: lc(s.Result)})
	}
	return r, nil
}

func ts(s string) string { return strings.TrimSpace(s) }
func lc(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// charsetReader accepts the encodings reports declare: UTF-8, US-ASCII
// and ISO-8859-1 (Latin-1, converted).
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1", "windows-1252":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q (want UTF-8)", charset)
}

func abbreviate(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
