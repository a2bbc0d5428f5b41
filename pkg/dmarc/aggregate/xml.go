package aggregate

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// The XML shapes. Element names carry no namespace so that both schemas
// (RFC 9990 in its namespace, RFC 7489 without one) decode.
type xmlMetadata struct {
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
}

type xmlPolicy struct {
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
}

type xmlIdentifiers struct {
	EnvelopeTo   string `xml:"envelope_to"`
	EnvelopeFrom string `xml:"envelope_from"`
	HeaderFrom   string `xml:"header_from"`
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
	Identifiers xmlIdentifiers `xml:"identifiers"`
	// Identities is a misspelling some reporters use for identifiers.
	Identities xmlIdentifiers `xml:"identities"`
	Auth       struct {
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

// xmlSyntaxError is an XML document that is not well-formed: the one kind
// of error the markup repair may cure.
type xmlSyntaxError struct{ err error }

func (e *xmlSyntaxError) Error() string { return e.err.Error() }

// quirks counts what one document departs from the schema in.
type quirks struct {
	upper      int
	upperEx    string
	identities int
	fraction   bool
	policies   int
}

// parseXML decodes one report document, tolerating the quirks of
// mailreport.Quirks for aggregate reports. DOCTYPE declarations are
// refused: a report has no use for them, and they are how entity
// expansion attacks begin.
func parseXML(name string, data []byte, maxRecords int) (*Report, []mailreport.Warning, error) {
	var warns []mailreport.Warning
	warn := func(q mailreport.Quirk, format string, args ...any) {
		warns = append(warns, mailreport.NewWarning(name, q, format, args...))
	}
	if enc := declaredEncoding(data); (enc == "" || isUTF8Name(enc)) && !utf8.Valid(data) {
		var n int
		data, n = replaceInvalidUTF8(data)
		warn(mailreport.QuirkInvalidUTF8, "%s not UTF-8 read as U+FFFD", plural(n, "octet"))
	}
	rep, q, err := decodeReport(name, data, maxRecords, warn)
	var syn *xmlSyntaxError
	if errors.As(err, &syn) {
		// Receivers write addresses as <user@example.com> inside <email>,
		// and bare "&" in comments. Escape what cannot be markup and try
		// once more; if that does not help, the first error stands.
		if fixed, n := escapeStrayMarkup(data); n > 0 {
			var warns2 []mailreport.Warning
			warn2 := func(q mailreport.Quirk, format string, args ...any) {
				warns2 = append(warns2, mailreport.NewWarning(name, q, format, args...))
			}
			rep2, q2, err2 := decodeReport(name, fixed, maxRecords, warn2)
			switch {
			case err2 == nil:
				warns = append(warns, mailreport.NewWarning(name, mailreport.QuirkUnescapedMarkup, "%s in text that did not begin markup read as text (\"<\" or \"&\" unescaped)", plural(n, "character")))
				warns = append(warns, warns2...)
				rep, q, err = rep2, q2, nil
			case !errors.As(err2, &syn):
				// The repaired document got further and met a limit or
				// another refusal: that is the better error.
				err = err2
			}
		}
	}
	if err != nil {
		var syn *xmlSyntaxError
		if errors.As(err, &syn) {
			return nil, nil, fmt.Errorf("aggregate: %s: not well-formed XML%v", name, syn.err)
		}
		return nil, nil, err
	}
	if q.upper > 0 {
		warn(mailreport.QuirkUpperCaseResult, "%s in upper or mixed case (such as %q) read in lower case", plural(q.upper, "result word"), q.upperEx)
	}
	if q.identities > 0 {
		warn(mailreport.QuirkIdentitiesElement, "%s with <identities> for <identifiers>", plural(q.identities, "record"))
	}
	if q.fraction {
		warn(mailreport.QuirkFractionalTime, "a <date_range> time has a fraction of a second, dropped")
	}
	if q.policies > 1 {
		warn(mailreport.QuirkRepeatedPolicy, "%d <policy_published> elements; the first is used", q.policies)
	}
	if rep.Metadata.OrgName == "" {
		if _, dom, ok := strings.Cut(strings.Trim(rep.Metadata.Email, "<> "), "@"); ok && dom != "" {
			rep.Metadata.OrgName = strings.ToLower(dom)
			warn(mailreport.QuirkMissingOrgName, "<org_name> is empty; the reporter is named %q after <email>", rep.Metadata.OrgName)
		}
	}
	return rep, warns, nil
}

func decodeReport(name string, data []byte, maxRecords int, warn func(mailreport.Quirk, string, ...any)) (*Report, *quirks, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	syntax := func(where string, err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return &xmlSyntaxError{fmt.Errorf("%s: %v", where, err)}
	}
	start, err := rootElement(name, d, warn)
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Source: name, Schema: "rfc7489", Records: []Record{}}
	if start.Name.Space == Namespace {
		rep.Schema = "rfc9990"
	}
	q := &quirks{}
	var version string
	var meta xmlMetadata
	var pol xmlPolicy
	// Decode the feedback element's children one at a time, so records
	// stream and are counted.
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, syntax("", err)
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			if _, isDir := tok.(xml.Directive); isDir {
				return nil, nil, fmt.Errorf("aggregate: %s: a declaration inside the report is refused", name)
			}
			continue
		}
		switch se.Name.Local {
		case "version":
			if err := d.DecodeElement(&version, &se); err != nil {
				return nil, nil, syntax(" in <version>", err)
			}
		case "report_metadata":
			if err := d.DecodeElement(&meta, &se); err != nil {
				return nil, nil, syntax(" in <report_metadata>", err)
			}
		case "policy_published":
			q.policies++
			var p xmlPolicy
			if err := d.DecodeElement(&p, &se); err != nil {
				return nil, nil, syntax(" in <policy_published>", err)
			}
			if q.policies == 1 {
				pol = p
			}
		case "record":
			if len(rep.Records) >= maxRecords {
				return nil, nil, fmt.Errorf("aggregate: %s: more than %d records: %w", name, maxRecords, ErrTooLarge)
			}
			var xr xmlRecord
			if err := d.DecodeElement(&xr, &se); err != nil {
				return nil, nil, syntax(fmt.Sprintf(" in record %d", len(rep.Records)+1), err)
			}
			rec, err := convertRecord(xr, q)
			if err != nil {
				return nil, nil, fmt.Errorf("aggregate: %s: record %d: %v", name, len(rep.Records)+1, err)
			}
			rep.Records = append(rep.Records, rec)
		default:
			if err := d.Skip(); err != nil {
				return nil, nil, syntax("", err)
			}
		}
	}
	if err := fillReport(rep, version, &meta, &pol, q); err != nil {
		return nil, nil, fmt.Errorf("aggregate: %s: %v", name, err)
	}
	return rep, q, nil
}

// rootElement returns the <feedback> start element. A report wrapped in an
// <xs:schema> element (ikea.com sends one, never closed) is read from the
// <feedback> inside it.
func rootElement(name string, d *xml.Decoder, warn func(mailreport.Quirk, string, ...any)) (*xml.StartElement, error) {
	wrapped := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if wrapped {
				return nil, fmt.Errorf("aggregate: %s: not a DMARC aggregate report: the <schema> element holds no <feedback>", name)
			}
			return nil, fmt.Errorf("aggregate: %s: not a report: the XML document is empty", name)
		}
		if err != nil {
			return nil, &xmlSyntaxError{fmt.Errorf(": %v", err)}
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("aggregate: %s: the XML has a DOCTYPE or another declaration (%s); reports never need one, and it is refused to rule out entity attacks", name, mailreport.Abbreviate(string(t), 40))
		case xml.StartElement:
			switch {
			case t.Name.Local == "feedback":
				s := t.Copy()
				return &s, nil
			case t.Name.Local == "schema" && !wrapped:
				wrapped = true
				warn(mailreport.QuirkSchemaWrapper, "the report is wrapped in an <%s> element", qualified(t.Name))
				continue
			case wrapped:
				return nil, fmt.Errorf("aggregate: %s: not a DMARC aggregate report: the <schema> element holds <%s>, want <feedback>", name, t.Name.Local)
			}
			return nil, fmt.Errorf("aggregate: %s: not a DMARC aggregate report: the root element is <%s>, want <feedback>", name, t.Name.Local)
		}
	}
}

func qualified(n xml.Name) string {
	if n.Space == "http://www.w3.org/2001/XMLSchema" {
		return "xs:" + n.Local
	}
	return n.Local
}

func fillReport(rep *Report, version string, m *xmlMetadata, p *xmlPolicy, q *quirks) error {
	rep.Version = strings.TrimSpace(version)
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
		s := ts(x.s)
		if s == "" {
			continue
		}
		if whole, frac, ok := strings.Cut(s, "."); ok && whole != "" && allDigits(frac) {
			s, q.fraction = whole, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return fmt.Errorf("<date_range><%s> %q is not a Unix time", x.tag, mailreport.Abbreviate(x.s, 30))
		}
		*x.dst = time.Unix(n, 0).UTC()
	}
	rep.Policy = PolicyPublished{Domain: lc(p.Domain), ADKIM: lc(p.ADKIM), ASPF: lc(p.ASPF), P: lc(p.P), SP: lc(p.SP), NP: lc(p.NP), PSD: lc(p.PSD), Testing: lc(p.Testing), Pct: ts(p.Pct), FO: ts(p.FO), DiscoveryMethod: lc(p.DiscoveryMethod)}
	if rep.Policy.Testing == "" {
		rep.Policy.Testing = lc(p.T)
	}
	// A report without the namespace that uses elements only RFC 9990
	// defines follows RFC 9990 all the same. (np is not one of them: RFC
	// 9091 added it, and Google sends it in RFC 7489 reports.)
	if rep.Schema == "rfc7489" && (rep.Policy.Testing != "" || rep.Policy.DiscoveryMethod != "" || rep.Metadata.Generator != "") {
		rep.Schema = "rfc9990"
	}
	return nil
}

// plural formats n and a noun: "1 octet", "2 octets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func convertRecord(x xmlRecord, q *quirks) (Record, error) {
	ids := x.Identifiers
	if ids == (xmlIdentifiers{}) && x.Identities != (xmlIdentifiers{}) {
		ids = x.Identities
		q.identities++
	}
	word := func(s string) string {
		t := ts(s)
		l := strings.ToLower(t)
		if l != t {
			q.upper++
			if q.upperEx == "" {
				q.upperEx = mailreport.Abbreviate(t, 20)
			}
		}
		return l
	}
	r := Record{
		SourceIP:     ts(x.Row.SourceIP),
		Disposition:  word(x.Row.Policy.Disposition),
		DKIM:         word(x.Row.Policy.DKIM),
		SPF:          word(x.Row.Policy.SPF),
		HeaderFrom:   lc(ids.HeaderFrom),
		EnvelopeFrom: lc(ids.EnvelopeFrom),
		EnvelopeTo:   lc(ids.EnvelopeTo),
	}
	ip, err := netip.ParseAddr(r.SourceIP)
	if err != nil {
		return r, fmt.Errorf("<source_ip> %q is not an IP address", mailreport.Abbreviate(r.SourceIP, 40))
	}
	r.SourceIP = ip.Unmap().String()
	c := ts(x.Row.Count)
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 {
		return r, fmt.Errorf("<count> %q is not a non-negative integer", mailreport.Abbreviate(c, 30))
	}
	if n > maxCount {
		return r, fmt.Errorf("<count> %d is implausibly large (over %d messages in one row)", n, int64(maxCount))
	}
	r.Count = n
	for _, rs := range x.Row.Policy.Reason {
		r.Reasons = append(r.Reasons, Reason{Type: lc(rs.Type), Comment: ts(rs.Comment)})
	}
	for _, d := range x.Auth.DKIM {
		r.AuthDKIM = append(r.AuthDKIM, DKIMAuth{Domain: lc(d.Domain), Selector: ts(d.Selector), Result: word(d.Result)})
	}
	for _, s := range x.Auth.SPF {
		r.AuthSPF = append(r.AuthSPF, SPFAuth{Domain: lc(s.Domain), Scope: lc(s.Scope), Result: word(s.Result)})
	}
	return r, nil
}

func ts(s string) string { return strings.TrimSpace(s) }
func lc(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var encodingDecl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)
})

// declaredEncoding returns the encoding of the XML declaration, lower
// case, or "".
func declaredEncoding(data []byte) string {
	head := bytes.TrimPrefix(data[:min(len(data), 200)], []byte("\xef\xbb\xbf"))
	if m := encodingDecl().FindSubmatch(head); m != nil {
		return strings.ToLower(string(m[1]))
	}
	return ""
}

func isUTF8Name(enc string) bool {
	switch enc {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// replaceInvalidUTF8 replaces each octet that is not part of a valid UTF-8
// sequence with U+FFFD and counts them.
func replaceInvalidUTF8(data []byte) ([]byte, int) {
	out := make([]byte, 0, len(data)+16)
	n := 0
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
			n++
		} else {
			out = append(out, data[:size]...)
		}
		data = data[size:]
	}
	return out, n
}

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
