package tlsreport

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport"
)

var conformance = filepath.Join("..", "..", "..", "testdata", "conformance")

func readFile(t testing.TB, rel string) []*Report {
	t.Helper()
	f, err := os.Open(filepath.Join(conformance, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reps, err := ParseFile(filepath.Base(rel), f, mailreport.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

type pin struct {
	file, org, id, domain string
	// per policy type: successful/failed
	policies   map[string][2]int64
	failures   int // failure-details entries
	failed     int64
	quirks     []mailreport.Quirk
	codes      []string // finding codes of the summary, most severe first
	status     finding.Status
	mxPatterns []string
}

// Every parsedmarc smtp_tls/ sample and every stalwart TLS-RPT report,
// read as SMTP TLS reports with the figures pinned.
var pins = []pin{
	{"reports/parsedmarc/smtp_tls/google.com_smtp_tls_report.eml", "Google Inc.", "2024-09-03T00:00:00Z_cardinalhealth.ca", "cardinalhealth.ca",
		map[string][2]int64{"no-policy-found": {48, 0}}, 0, 0, nil, []string{"tls-report.no-policy"}, finding.StatusPass, nil},
	{"reports/parsedmarc/smtp_tls/mail.ru.json", "Mail.ru", "b28254de-7b2e-be36-bb5c-4c3b92da8b25@mail.ru", "example.com",
		map[string][2]int64{"sts": {0, 1}}, 2, 1, []mailreport.Quirk{mailreport.QuirkCountMismatch}, []string{"tls-report.sts-policy-fetch-error"}, finding.StatusFail, nil},
	{"reports/parsedmarc/smtp_tls/rfc8460.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", "company-y.example",
		map[string][2]int64{"sts": {5326, 303}}, 3, 303, nil, []string{"tls-report.starttls-not-supported", "tls-report.certificate-expired", "tls-report.validation-failure"}, finding.StatusWarn, []string{"*.mail.company-y.example"}},
	{"reports/parsedmarc/smtp_tls/smtp_tls.json", "Example Inc.", "2024-01-09T00:00:00Z_example.com", "example.com",
		map[string][2]int64{"sts": {0, 3}}, 2, 3, nil, []string{"tls-report.validation-failure"}, finding.StatusWarn, []string{"example.com"}},
	{"tlsrpt/stalwart-mail-auth/rpt01.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", "company-y.example",
		map[string][2]int64{"sts": {5326, 303}}, 3, 303, nil, []string{"tls-report.starttls-not-supported", "tls-report.certificate-expired", "tls-report.validation-failure"}, finding.StatusWarn, []string{"*.mail.company-y.example"}},
	{"tlsrpt/stalwart-mail-auth/rpt01.eml", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", "company-y.example",
		map[string][2]int64{"sts": {5326, 303}}, 3, 303, nil, []string{"tls-report.starttls-not-supported", "tls-report.certificate-expired", "tls-report.validation-failure"}, finding.StatusWarn, []string{"*.mail.company-y.example"}},
	{"tlsrpt/stalwart-mail-auth/rpt02.json", "Google Inc.", "2020-01-01T00:00:00Z_example.com", "example.com",
		map[string][2]int64{"sts": {23, 1}}, 1, 1, nil, []string{"tls-report.certificate-host-mismatch"}, finding.StatusFail, []string{"demo.example.com"}},
	{"tlsrpt/stalwart-mail-auth/rpt02.eml", "Google Inc.", "2020-01-01T00:00:00Z_example.com", "example.com",
		map[string][2]int64{"sts": {23, 1}}, 1, 1, nil, []string{"tls-report.certificate-host-mismatch"}, finding.StatusFail, []string{"demo.example.com"}},
	{"tlsrpt/stalwart-mail-auth/rpt03.json", "Google Inc.", "2019-04-14T00:00:00Z_example.org", "",
		map[string][2]int64{"no-policy-found": {1, 0}, "unknown": {1, 0}}, 0, 0, []mailreport.Quirk{mailreport.QuirkUnknownPolicyType}, []string{"tls-report.no-policy"}, finding.StatusPass, nil},
}

func TestConformanceSamples(t *testing.T) {
	for dir, want := range map[string]int{"reports/parsedmarc/smtp_tls": 4, "tlsrpt/stalwart-mail-auth": 5} {
		files, _ := filepath.Glob(filepath.Join(conformance, dir, "rpt*"))
		if strings.HasSuffix(dir, "smtp_tls") {
			files, _ = filepath.Glob(filepath.Join(conformance, dir, "*"))
		}
		if len(files) != want {
			t.Errorf("%s holds %d reports, want %d", dir, len(files), want)
		}
	}
	for _, p := range pins {
		t.Run(p.file, func(t *testing.T) {
			reps := readFile(t, p.file)
			if len(reps) != 1 {
				t.Fatalf("%d reports", len(reps))
			}
			r := reps[0]
			if r.OrganizationName != p.org || r.ReportID != p.id {
				t.Errorf("org %q id %q", r.OrganizationName, r.ReportID)
			}
			got := map[string][2]int64{}
			var failures int
			var failed int64
			for _, pol := range r.Policies {
				c := got[pol.Type]
				got[pol.Type] = [2]int64{c[0] + pol.Successful, c[1] + pol.Failed}
				failures += len(pol.Failures)
				failed += pol.Failed
				if pol.Domain != p.domain {
					t.Errorf("policy domain %q", pol.Domain)
				}
			}
			if !reflect.DeepEqual(got, p.policies) || failures != p.failures || failed != p.failed {
				t.Errorf("policies %v, %d failure details, %d failed", got, failures, failed)
			}
			var q []mailreport.Quirk
			for _, w := range r.Warnings {
				q = append(q, w.Quirk)
			}
			if !slices.Equal(q, p.quirks) {
				t.Errorf("quirks %v", q)
			}
			s := NewSummarizer(SummaryOptions{})
			s.Add(r)
			sum := s.Result()
			if len(sum.Domains) != 1 {
				t.Fatalf("%d domains", len(sum.Domains))
			}
			d := sum.Domains[0]
			var codes []string
			for _, f := range d.Findings {
				codes = append(codes, f.Code)
			}
			if !slices.Equal(codes, p.codes) || d.Status != p.status || !slices.Equal(d.MXPatterns, p.mxPatterns) {
				t.Errorf("findings %v status %s patterns %v", d.Findings, d.Status, d.MXPatterns)
			}
		})
	}
}

// An e-mail carries the same report as the JSON of the same number
// (INDEX.md §5.3).
func TestStalwartEmailEqualsJSON(t *testing.T) {
	for _, n := range []string{"rpt01", "rpt02"} {
		a := readFile(t, "tlsrpt/stalwart-mail-auth/"+n+".json")[0]
		b := readFile(t, "tlsrpt/stalwart-mail-auth/"+n+".eml")[0]
		a.Source, b.Source = "", ""
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %+v\n%+v", n, a, b)
		}
	}
}

func TestRFC8460Example(t *testing.T) {
	r := readFile(t, "reports/parsedmarc/smtp_tls/rfc8460.json")[0]
	p := r.Policies[0]
	if p.Type != PolicySTS || p.Mode != "testing" || !slices.Equal(p.MXHosts, []string{"*.mail.company-y.example"}) || len(p.Strings) != 4 {
		t.Errorf("%+v", p)
	}
	f := p.Failures[1]
	if f.ResultType != "starttls-not-supported" || f.SendingMTAIP != "2001:db8:abcd:0013::1" || f.ReceivingMX != "mx2.mail.company-y.example" || f.ReceivingIP != "203.0.113.56" || f.Count != 200 ||
		!strings.HasPrefix(f.AdditionalInfo, "https://reports.company-x.example/") {
		t.Errorf("%+v", f)
	}
	if r.Begin.Format("2006-01-02T15:04:05Z") != "2016-04-01T00:00:00Z" || r.End.Format("2006-01-02T15:04:05Z") != "2016-04-01T23:59:59Z" {
		t.Errorf("%v %v", r.Begin, r.End)
	}
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

const enforced = `{"organization-name":"sender.example","date-range":{"start-datetime":"2026-01-01T00:00:00Z","end-datetime":"2026-01-01T23:59:59Z"},"contact-info":"tls@sender.example","report-id":"%ID%",
"policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx1.example.com","mx: *.backup.example.com","max_age: 86400"],"policy-domain":"example.com"},
"summary":{"total-successful-session-count":90,"total-failure-session-count":10},
"failure-details":[{"result-type":"validation-failure","receiving-mx-hostname":"mx2.example.com","receiving-ip":"192.0.2.2","sending-mta-ip":"198.51.100.1","failed-session-count":6},
{"result-type":"certificate-expired","receiving-mx-hostname":"a.backup.example.com","failed-session-count":3},
{"result-type":"something-new","receiving-mx-hostname":"mx1.example.com","failed-session-count":1}]}]}`

func TestSummaryFindings(t *testing.T) {
	s := NewSummarizer(SummaryOptions{Tenant: func(d string) string { return "tenant-" + d }})
	for _, id := range []string{"r1", "r2", "r1"} {
		reps, err := ParseFile("r.json.gz", bytes.NewReader(gz([]byte(strings.Replace(enforced, "%ID%", id, 1)))), mailreport.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		s.Add(reps[0])
	}
	sum := s.Result()
	if sum.Reports != 2 || sum.Duplicates != 1 {
		t.Fatalf("reports %d duplicates %d", sum.Reports, sum.Duplicates)
	}
	d := sum.Domains[0]
	if d.Tenant != "tenant-example.com" || d.Successful != 180 || d.Failed != 20 || d.Policies[0].Mode != "enforce" || d.Policies[0].FailureRate != 0.1 {
		t.Errorf("%+v", d)
	}
	want := []string{"tls-report.mx-not-in-policy", "tls-report.certificate-expired", "tls-report.unknown-result-type"}
	var codes []string
	for _, f := range d.Findings {
		codes = append(codes, f.Code)
	}
	if !slices.Equal(codes, want) || d.Status != finding.StatusFail {
		t.Fatalf("findings %v", d.Findings)
	}
	if f := d.Findings[0]; f.Name != "mx2.example.com" || !strings.Contains(f.Message, "12 sessions") || !strings.Contains(f.Fix, `"mx: mx2.example.com"`) {
		t.Errorf("%+v", f)
	}
}

func TestMatchesAny(t *testing.T) {
	pats := []string{"mail.example.com", "*.example.net"}
	for host, want := range map[string]bool{
		"mail.example.com": true, "MAIL.example.com.": true, "a.example.net": true,
		"example.net": false, "a.b.example.net": false, "other.example.com": false,
	} {
		if MatchesAny(pats, host) != want {
			t.Errorf("%s: %v", host, !want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"a.json", `{"organization-name": "x", "policies": 3}`, `"policies" is not an array`},
		{"b.json", `{"policies": []}`, `not an SMTP TLS report`},
		{"c.json", `{"organization-name":"x","report-id":"1","policies":[{"policy":{"policy-type":"sts"},"summary":{"total-successful-session-count":-1}}]}`, `not a non-negative integer`},
		{"d.json", `{"organization-name":"x","report-id":"1","date-range":{"start-datetime":"yesterday"},"policies":[]}`, `not an RFC 3339 date-time`},
		{"e.json", `{"organization-name":`, `the JSON ends early`},
		{"f.json", `{"organization-name":"x","report-id":"1","policies":[{"policy":{"policy-type":"sts"},"failure-details":[{"failed-session-count":1}]}]}`, `"result-type" is missing`},
		{"g.json", `{"organization-name":"x","report-id":"1","policies":[{"policy":{"policy-type":"sts"},"summary":{"total-failure-session-count":99999999999999999}}]}`, `implausibly large`},
		{"h.xml", `<feedback/>`, `not an SMTP TLS report`},
		{"i.txt", `hello`, `not an SMTP TLS report`},
	}
	for _, tt := range tests {
		_, err := ParseFile(tt.name, strings.NewReader(tt.data), mailreport.Limits{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tlsreport: "+tt.name) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	var many strings.Builder
	many.WriteString(`{"organization-name":"x","report-id":"1","policies":[{"policy":{"policy-type":"sts"},"failure-details":[`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`{"result-type":"certificate-expired","failed-session-count":1}`)
	}
	many.WriteString(`]}]}`)
	if _, err := ParseFile("many.json", strings.NewReader(many.String()), mailreport.Limits{MaxRecords: 10}); !errors.Is(err, mailreport.ErrTooLarge) {
		t.Errorf("rows: %v", err)
	}
	if _, err := ParseFile("bomb.json.gz", bytes.NewReader(gz(make([]byte, 1<<20))), mailreport.Limits{MaxExpanded: 1 << 16}); !errors.Is(err, mailreport.ErrTooLarge) {
		t.Errorf("bomb: %v", err)
	}
}

func TestFindingsCatalog(t *testing.T) {
	for _, s := range Findings() {
		if !strings.HasPrefix(s.Code, "tls-report.") {
			t.Errorf("%s", s.Code)
		}
	}
	for rt, spec := range resultFindings {
		if spec == nil {
			t.Errorf("%s", rt)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	for _, p := range pins {
		b, err := os.ReadFile(filepath.Join(conformance, p.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := mailreport.Limits{MaxInput: 1 << 20, MaxExpanded: 1 << 20, MaxRecords: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		reps, err := ParseFile("fuzz", bytes.NewReader(data), lim)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tlsreport: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		s := NewSummarizer(SummaryOptions{})
		for _, r := range reps {
			s.Add(r)
		}
		for _, d := range s.Result().Domains {
			if d.Successful < 0 || d.Failed < 0 {
				t.Fatal("negative")
			}
		}
	})
}
