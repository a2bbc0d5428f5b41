package aggregate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

// The parsedmarc sample reports (testdata/conformance/reports/parsedmarc,
// see its ORIGIN.md). parsedmarc's tests read every file of aggregate/ and
// aggregate_invalid/ as an aggregate report and refuse empty.xml; so do we,
// with the figures pinned here.
var parsedmarc = filepath.Join("..", "..", "..", "testdata", "conformance", "reports", "parsedmarc")

type sample struct {
	file           string
	schema, org    string
	domain         string
	records        int
	messages, pass int64
	quirks         []mailreport.Quirk
}

var aggregateSamples = []sample{
	{"aggregate/!example.com!1538204542!1538463818.xml", "rfc7489", "accurateplastics.com", "example.com", 1, 1, 0, []mailreport.Quirk{mailreport.QuirkMissingOrgName}},
	{"aggregate/!large-example.com!1711897200!1711983600.xml", "rfc7489", "accurateplastics.com", "example.com", 2286, 2286, 0, []mailreport.Quirk{mailreport.QuirkMissingOrgName}},
	{"aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml", "rfc7489", "google.com", "borschow.com", 1, 1, 0, nil},
	{"aggregate/addisonfoods.com!example.com!1536105600!1536191999.xml", "rfc7489", "addisonfoods.com", "example.com", 1, 1, 0, nil},
	{"aggregate/empty_reason.xml", "rfc7489", "example.org", "example.com", 1, 2, 2, nil},
	{"aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip", "rfc7489", "XYZ Corporation", "example.com", 1, 1, 0, nil},
	{"aggregate/example.net!example.com!1529366400!1529452799.xml", "rfc7489", "example.net", "example.com", 1, 1, 0, nil},
	{"aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz", "rfc7489", "FastMail Pty Ltd", "indemed.com", 1, 1, 0, nil},
	{"aggregate/ikea.com!example.de!1538690400!1538776800.xml", "rfc7489", "ikea.com", "example.de", 1, 1, 0, []mailreport.Quirk{mailreport.QuirkSchemaWrapper}},
	{"aggregate/invalid_utf_8.xml", "rfc7489", "accurateplastics.com", "example.com", 1, 1, 0, []mailreport.Quirk{mailreport.QuirkInvalidUTF8, mailreport.QuirkMissingOrgName}},
	{"aggregate/invalid_xml.xml", "rfc7489", "veeam.com", "example.com", 1, 1, 0, []mailreport.Quirk{mailreport.QuirkUnescapedMarkup}},
	{"aggregate/mimecast-weird-gzip.eml", "rfc7489", "Mimecast", "ab.id.au", 1, 1, 1, []mailreport.Quirk{mailreport.QuirkGzipTrailingData}},
	{"aggregate/old_draft_from_wiki.xml", "rfc7489", "acme.com", "example.com", 1, 2, 2, nil},
	{"aggregate/protection.outlook.com!example.com!1711756800!1711843200.xml", "rfc7489", "Outlook.com", "example.com", 1, 1, 0, nil},
	{"aggregate/rfc9990-example.net!example.com!1700000000!1700086399.xml", "rfc9990", "example.net", "example.com", 2, 7, 5, nil},
	{"aggregate/rfc9990-sample.xml", "rfc9990", "Sample Reporter", "example.com", 1, 123, 123, nil},
	{"aggregate/twilight.eml", "rfc7489", "google.com", "twlnet.com", 1, 1, 1, nil},
	{"aggregate/usssa.com!example.com!1538784000!1538870399.xml", "rfc7489", "usssa.com", "example.com", 2, 2, 0, nil},
	{"aggregate/veeam.com!example.com!1530133200!1530219600.xml", "rfc7489", "veeam.com", "example.com", 1, 1, 0, nil},
	{"aggregate_invalid/report_with_upper_cased_pass.xml", "rfc7489", "example.com", "example.com", 1, 1, 1, []mailreport.Quirk{mailreport.QuirkUpperCaseResult}},
	{"extract_report/changed-input.xml", "rfc7489", "fred.com", "example.com", 20, 3047, 3047, nil},
	{"extract_report/nice-input.xml", "rfc7489", "google.com", "example.com", 20, 3047, 3047, nil},
	{"extract_report/nice-input.xml.gz", "rfc7489", "google.com", "example.com", 20, 3047, 3047, nil},
	{"extract_report/nice-input.xml.zip", "rfc7489", "google.com", "example.com", 20, 3047, 3047, nil},
}

func parseSample(t *testing.T, rel string) ([]*Report, error) {
	t.Helper()
	f, err := os.Open(filepath.Join(parsedmarc, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ParseFile(filepath.Base(rel), f, DefaultLimits)
}

func TestParsedmarcAggregateSamples(t *testing.T) {
	// The suite's size is pinned: a sample added or lost must be noticed.
	for dir, want := range map[string]int{"aggregate": 19, "aggregate_invalid": 1, "extract_report": 4} {
		files, _ := filepath.Glob(filepath.Join(parsedmarc, dir, "*"))
		if len(files) != want {
			t.Errorf("%s/ holds %d files, want %d: update the table", dir, len(files), want)
		}
	}
	for _, s := range aggregateSamples {
		t.Run(s.file, func(t *testing.T) {
			reps, err := parseSample(t, s.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) != 1 {
				t.Fatalf("%d reports", len(reps))
			}
			r := reps[0]
			var pass int64
			for _, rec := range r.Records {
				if rec.DMARCPass() {
					pass += rec.Count
				}
			}
			if r.Schema != s.schema || r.Metadata.OrgName != s.org || r.Policy.Domain != s.domain || len(r.Records) != s.records || r.Messages() != s.messages || pass != s.pass {
				t.Errorf("got %s %q %s %d records %d messages %d pass", r.Schema, r.Metadata.OrgName, r.Policy.Domain, len(r.Records), r.Messages(), pass)
			}
			var quirks []mailreport.Quirk
			for _, w := range r.Warnings {
				quirks = append(quirks, w.Quirk)
				// A warning names the file it is about.
				if !strings.HasPrefix(w.Source, filepath.Base(s.file)) {
					t.Errorf("warning source %q", w.Source)
				}
			}
			if !slices.Equal(quirks, s.quirks) {
				t.Errorf("quirks %v, want %v", quirks, s.quirks)
			}
		})
	}
}

func TestParsedmarcQuirkDetails(t *testing.T) {
	reps, _ := parseSample(t, "aggregate/invalid_xml.xml")
	if got := reps[0].Metadata.Email; got != "<bad-xml@bad-xml.net>" {
		t.Errorf("invalid_xml.xml email %q", got)
	}
	if got := reps[0].Records[0].HeaderFrom; got != "bad<xml.net" {
		t.Errorf("invalid_xml.xml header_from %q", got)
	}
	reps, _ = parseSample(t, "aggregate/invalid_utf_8.xml")
	if got := reps[0].Records[0].HeaderFrom; got != "bad_byte\uFFFD" {
		t.Errorf("invalid_utf_8.xml header_from %q", got)
	}
	reps, _ = parseSample(t, "aggregate_invalid/report_with_upper_cased_pass.xml")
	rec := reps[0].Records[0]
	if rec.DKIM != "pass" || rec.SPF != "pass" || rec.AuthDKIM[0].Result != "pass" || rec.AuthSPF[0].Result != "pass" || rec.Disposition != "none" {
		t.Errorf("upper case: %+v", rec)
	}
	reps, _ = parseSample(t, "aggregate/ikea.com!example.de!1538690400!1538776800.xml")
	if reps[0].Metadata.ReportID != "aggr_report_2018_10_05_5bc7e9b4f3e8a" || reps[0].Records[0].SourceIP != "234.234.234.234" {
		t.Errorf("ikea: %+v", reps[0])
	}
	reps, _ = parseSample(t, "aggregate/rfc9990-example.net!example.com!1700000000!1700086399.xml")
	if p := reps[0].Policy; p.NP != "reject" || p.Testing != "y" || p.DiscoveryMethod != "treewalk" {
		t.Errorf("rfc9990 fields: %+v", p)
	}
}

// Deliberate differences from parsedmarc, asserted so that they stay
// deliberate.
func TestParsedmarcDifferences(t *testing.T) {
	// parsedmarc turns the RFC 9990 disposition "pass" into "none"; we keep
	// what the report says (Summarize counts it with none).
	reps, _ := parseSample(t, "aggregate/rfc9990-sample.xml")
	if d := reps[0].Records[0].Disposition; d != "pass" {
		t.Errorf("disposition %q", d)
	}
	// parsedmarc shortens org names without spaces to their base domain;
	// we keep the reporter's name as written.
	reps, _ = parseSample(t, "aggregate/protection.outlook.com!example.com!1711756800!1711843200.xml")
	if o := reps[0].Metadata.OrgName; o != "Outlook.com" {
		t.Errorf("org %q", o)
	}
}

func TestParsedmarcEmptyRefused(t *testing.T) {
	_, err := parseSample(t, "empty.xml")
	if err == nil || !errors.Is(err, mailreport.ErrNotReport) || !strings.Contains(err.Error(), "empty.xml") {
		t.Fatalf("empty.xml: %v", err)
	}
}

// BenchmarkParsedmarcLarge reads parsedmarc's largest sample (909 KB of
// XML, 2286 records) and analyses it.
func BenchmarkParsedmarcLarge(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(parsedmarc, "aggregate", "!large-example.com!1711897200!1711983600.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		reps, err := ParseFile("large.xml", bytes.NewReader(data), DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		a := NewAnalyzer(AnalyzerOptions{})
		a.Add(reps[0])
		if res := a.Result(context.Background(), ResultOptions{}); res.Domains[0].Messages != 2286 {
			b.Fatal(res.Domains[0].Messages)
		}
	}
}
