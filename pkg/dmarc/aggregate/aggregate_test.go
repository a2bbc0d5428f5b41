package aggregate

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated report fixtures in testdata/dmarc/reports")

var fixtures = filepath.Join("..", "..", "..", "testdata", "dmarc", "reports")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func zipOf(t testing.TB, files map[string][]byte, order ...string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, name := range order {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(files[name])
	}
	w.Close()
	return b.Bytes()
}

func eml(attachName, contentType string, data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var lines []string
	for len(enc) > 76 {
		lines = append(lines, enc[:76])
		enc = enc[76:]
	}
	lines = append(lines, enc)
	return []byte("From: noreply-dmarc@receiver.example\r\n" +
		"To: dmarc-reports@example.com\r\n" +
		"Subject: Report Domain: example.com Submitter: receiver.example Report-ID: 7489-0001\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nThis is a DMARC aggregate report.\r\n" +
		"--b1\r\nContent-Type: " + contentType + "; name=\"" + attachName + "\"\r\n" +
		"Content-Disposition: attachment; filename=\"" + attachName + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Join(lines, "\r\n") + "\r\n--b1--\r\n")
}

// generated are the binary fixtures the testscript tests read; they are
// rebuilt from the XML fixtures with -update.
func generated(t testing.TB) map[string][]byte {
	x7489 := readFixture(t, "rfc7489-example.com.xml")
	x9990 := readFixture(t, "rfc9990-example.com.xml")
	return map[string][]byte{
		"receiver.example!example.com!1790553600!1790639999.xml.gz": gz(t, x7489),
		"mailbox.example.net!example.com!1790553600!1790639999.zip": zipOf(t, map[string][]byte{"report.xml": x9990}, "report.xml"),
		"report-7489.eml":  eml("receiver.example!example.com!1790553600!1790639999.xml.gz", "application/gzip", gz(t, x7489)),
		"bomb.xml.gz":      gz(t, bytes.Repeat([]byte("<"), 51<<20)),
		"not-xml.xml":      []byte("this is not a report\n"),
		"doctype.xml":      []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<feedback><report_metadata><org_name>&b;</org_name></report_metadata></feedback>\n"),
		"wrong-root.xml":   []byte("<?xml version=\"1.0\"?>\n<report><x/></report>\n"),
		"truncated.xml.gz": gz(t, x7489[:len(x7489)/2]),
	}
}

var generatedNames = []string{
	"receiver.example!example.com!1790553600!1790639999.xml.gz",
	"mailbox.example.net!example.com!1790553600!1790639999.zip",
	"report-7489.eml", "bomb.xml.gz", "not-xml.xml", "doctype.xml", "wrong-root.xml", "truncated.xml.gz",
}

func TestGeneratedFixtures(t *testing.T) {
	if *update {
		for name, data := range generated(t) {
			if err := os.WriteFile(filepath.Join(fixtures, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range generatedNames {
		if _, err := os.Stat(filepath.Join(fixtures, name)); err != nil {
			t.Errorf("fixture %s missing: run go test ./pkg/dmarc/aggregate -run TestGeneratedFixtures -update", name)
		}
	}
}

func TestParseFormats(t *testing.T) {
	x7489 := readFixture(t, "rfc7489-example.com.xml")
	x9990 := readFixture(t, "rfc9990-example.com.xml")
	tests := []struct {
		name    string
		data    []byte
		reports int
		schema  string
	}{
		{"plain-7489.xml", x7489, 1, "rfc7489"},
		{"plain-9990.xml", x9990, 1, "rfc9990"},
		{"r.xml.gz", gz(t, x7489), 1, "rfc7489"},
		{"r.zip", zipOf(t, map[string][]byte{"a.xml": x7489, "b.xml": x9990, "README.txt": []byte("hi")}, "a.xml", "README.txt", "b.xml"), 2, "rfc7489"},
		{"r.eml", eml("r.xml.gz", "application/gzip", gz(t, x7489)), 1, "rfc7489"},
		{"r-zip.eml", eml("r.zip", "application/zip", zipOf(t, map[string][]byte{"a.xml": x9990}, "a.xml")), 1, "rfc9990"},
		{"r-xml.eml", eml("r.xml", "text/xml", x9990), 1, "rfc9990"},
		{"r-octet.eml", eml("r.xml.gz", "application/octet-stream", gz(t, x9990)), 1, "rfc9990"},
	}
	for _, tt := range tests {
		reps, err := ParseFile(tt.name, bytes.NewReader(tt.data), DefaultLimits)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(reps) != tt.reports || reps[0].Schema != tt.schema {
			t.Errorf("%s: %d reports, schema %s", tt.name, len(reps), reps[0].Schema)
		}
	}
	reps, _ := ParseFile("a.xml", bytes.NewReader(x9990), DefaultLimits)
	r := reps[0]
	if r.Metadata.OrgName != "mailbox.example.net" || r.Policy.NP != "reject" || r.Policy.DiscoveryMethod != "treewalk" || r.Metadata.Begin.Unix() != 1790553600 || len(r.Records) != 2 || r.Records[1].SourceIP != "2001:db8::25" || r.Records[0].AuthSPF[0].Scope != "mfrom" {
		t.Errorf("report = %+v", r)
	}
}

func TestParseErrors(t *testing.T) {
	x7489 := readFixture(t, "rfc7489-example.com.xml")
	small := Limits{MaxInput: 1 << 20, MaxXML: 64 << 10, MaxMembers: 2}
	tests := []struct {
		name   string
		data   []byte
		lim    Limits
		want   string
		tooBig bool
	}{
		{"not-xml.txt", []byte("this is not a report\n"), DefaultLimits, "neither XML, gzip, zip nor an e-mail", false},
		{"bomb.xml.gz", gz(t, bytes.Repeat([]byte("<"), 200<<10)), small, "expands past 64 KiB", true},
		{"bomb.zip", zipOf(t, map[string][]byte{"a.xml": bytes.Repeat([]byte(" "), 200<<10)}, "a.xml"), small, "past the 64 KiB limit", true},
		{"many.zip", zipOf(t, map[string][]byte{"a": nil, "b": nil, "c": nil}, "a", "b", "c"), small, "holds 3 files", true},
		{"big.xml", bytes.Repeat([]byte(" "), 2<<20), small, "larger than 1 MiB", true},
		{"doctype.xml", []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><feedback/>`), DefaultLimits, "DOCTYPE", false},
		{"ext.xml", []byte(`<!DOCTYPE feedback SYSTEM "http://example.com/x.dtd"><feedback/>`), DefaultLimits, "DOCTYPE", false},
		{"entity.xml", []byte(`<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>`), DefaultLimits, "not well-formed", false},
		{"root.xml", []byte(`<report/>`), DefaultLimits, "root element is <report>", false},
		{"empty.xml", []byte(`<feedback></feedback>`), DefaultLimits, "report_metadata", false},
		{"trunc.xml", x7489[:len(x7489)/2], DefaultLimits, "not well-formed", false},
		{"badip.xml", []byte(`<feedback><report_metadata><org_name>o</org_name><report_id>1</report_id></report_metadata><record><row><source_ip>999.1.1.1</source_ip><count>1</count></row></record></feedback>`), DefaultLimits, "not an IP address", false},
		{"badcount.xml", []byte(`<feedback><report_metadata><org_name>o</org_name><report_id>1</report_id></report_metadata><record><row><source_ip>192.0.2.1</source_ip><count>-4</count></row></record></feedback>`), DefaultLimits, "not a non-negative integer", false},
		{"hugecount.xml", []byte(`<feedback><report_metadata><org_name>o</org_name><report_id>1</report_id></report_metadata><record><row><source_ip>192.0.2.1</source_ip><count>9223372036854775807</count></row></record></feedback>`), DefaultLimits, "implausibly large", false},
		{"noattach.eml", []byte("From: a@example.com\r\nSubject: x\r\n\r\nhello\r\n"), DefaultLimits, "carries no report", false},
		{"badgz.gz", []byte{0x1f, 0x8b, 1, 2, 3}, DefaultLimits, "gzip", false},
		{"enc.xml", []byte(`<?xml version="1.0" encoding="EBCDIC"?><feedback/>`), DefaultLimits, "EBCDIC", false},
	}
	for _, tt := range tests {
		_, err := ParseFile(tt.name, bytes.NewReader(tt.data), tt.lim)
		if err == nil {
			t.Errorf("%s: parsed", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.name) || !strings.HasPrefix(err.Error(), "aggregate: ") {
			t.Errorf("%s: error %q, want it to name the file and say %q", tt.name, err, tt.want)
		}
		if errors.Is(err, ErrTooLarge) != tt.tooBig {
			t.Errorf("%s: ErrTooLarge = %v", tt.name, errors.Is(err, ErrTooLarge))
		}
	}
}

func TestSummarize(t *testing.T) {
	var reps []*Report
	for _, f := range []string{"rfc7489-example.com.xml", "rfc9990-example.com.xml", "rfc7489-example.com.xml"} {
		r, err := ParseFile(f, bytes.NewReader(readFixture(t, f)), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r...)
	}
	s := Summarize(reps)
	if s.Duplicates != 1 || len(s.Reports) != 2 || s.Messages != 478 {
		t.Fatalf("summary: dup %d reports %d messages %d", s.Duplicates, len(s.Reports), s.Messages)
	}
	// Failing sources first.
	if s.Sources[0].SourceIP != "198.51.100.7" || s.Sources[1].SourceIP != "2001:db8::25" {
		t.Errorf("order: %+v", s.Sources)
	}
	var top SourceSummary
	for _, src := range s.Sources {
		if src.SourceIP == "192.0.2.10" {
			top = src
		}
	}
	if top.Messages != 420 || top.DMARCPassRate != 1 || len(top.Reporters) != 2 {
		t.Errorf("192.0.2.10: %+v", top)
	}
	if s.DMARCFail != 18 {
		t.Errorf("fail = %d", s.DMARCFail)
	}
}

func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"rfc7489-example.com.xml", "rfc9990-example.com.xml"} {
		b := readFixture(f, name)
		f.Add(b)
		f.Add(gz(f, b))
		f.Add(zipOf(f, map[string][]byte{"a.xml": b}, "a.xml"))
		f.Add(eml("a.xml", "text/xml", b))
	}
	f.Add([]byte(`<!DOCTYPE x><feedback/>`))
	lim := Limits{MaxInput: 1 << 20, MaxXML: 1 << 20, MaxMembers: 4, MaxRecords: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		reps, err := ParseFile("fuzz", bytes.NewReader(data), lim)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "aggregate: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		s := Summarize(reps)
		for _, src := range s.Sources {
			if src.DMARCPassRate < 0 || src.DMARCPassRate > 1 {
				t.Fatalf("rate %v", src.DMARCPassRate)
			}
		}
	})
}

func BenchmarkParseXML(b *testing.B) {
	data := readFixture(b, "rfc7489-example.com.xml")
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseFile("r.xml", bytes.NewReader(data), DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLarge parses a gzipped report of 10,000 records (about
// 5 MB of XML) and summarizes it.
func BenchmarkParseLarge(b *testing.B) {
	var x bytes.Buffer
	x.WriteString(`<?xml version="1.0"?><feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0"><report_metadata><org_name>r.example</org_name><email>r@r.example</email><report_id>big</report_id><date_range><begin>1790553600</begin><end>1790639999</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published>`)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&x, `<record><row><source_ip>198.51.%d.%d</source_ip><count>%d</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim><spf><domain>bounce.example.net</domain><result>pass</result></spf></auth_results></record>`, i/256%256, i%256, i%50+1)
	}
	x.WriteString(`</feedback>`)
	data := gz(b, x.Bytes())
	b.SetBytes(int64(x.Len()))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		reps, err := ParseFile("big.xml.gz", bytes.NewReader(data), DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if s := Summarize(reps); len(s.Sources) != 10000 {
			b.Fatal(len(s.Sources))
		}
	}
}
