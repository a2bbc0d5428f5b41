package failure

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/mailreport"
)

var samples = filepath.Join("..", "..", "..", "testdata", "conformance", "reports", "parsedmarc")

func readSample(t *testing.T, rel string, opts Options) []*Report {
	t.Helper()
	f, err := os.Open(filepath.Join(samples, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reps, err := ParseFile(filepath.Base(rel), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

type want struct {
	file, format, reporter, domain, ip, delivery, headerFrom, original, mailFrom string
	authFailure, alignment                                                       []string
	arrival                                                                      string
	quirks                                                                       []mailreport.Quirk
}

// The parsedmarc failure samples, read the way parsedmarc's tests expect
// (every failure/*.eml a failure report), with the figures pinned.
var failureSamples = []want{
	{"failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml", FormatARF, "domain.de", "domain.de", "10.10.10.10", "smg-policy-action", "domain.de", "message", "domain.de",
		[]string{"dmarc"}, nil, "2018-10-01T09:20:27Z", nil},
	{"failure/[Netease DMARC Failure Report] Rent Reminder.eml", FormatARF, "163.com", "cardinal.com", "167.89.69.24", "delivered", "cardinal.com", "message", "email.entrata.com",
		nil, []string{"spf", "dkim"}, "2018-09-28T08:48:42Z", []mailreport.Quirk{mailreport.QuirkARFNotReport}},
	{"failure/dmarc_ruf_report_linkedin.eml", FormatARF, "linkedin.com", "example.com", "10.10.10.10", "delivered", "example.com", "message", "",
		[]string{"dmarc"}, nil, "2019-04-30T02:09:00Z", nil},
	{"failure/dmarc_ruf_report_linkedin.crlf.eml", FormatARF, "linkedin.com", "example.com", "10.10.10.10", "delivered", "example.com", "message", "",
		[]string{"dmarc"}, nil, "2019-04-30T02:09:00Z", nil},
	{"failure/exim_plain_text_only_no_arf_part.eml", FormatText, "node01.mailgate.example.net", "example.com", "203.0.113.68", "delivered", "example.com", "headers", "",
		[]string{"dmarc"}, []string{"none"}, "2025-04-07T21:16:09Z", []mailreport.Quirk{mailreport.QuirkNoARFPart}},
}

func TestParsedmarcFailureSamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(samples, "failure", "*"))
	if len(files) != len(failureSamples) {
		t.Errorf("failure/ holds %d files, want %d", len(files), len(failureSamples))
	}
	for _, w := range failureSamples {
		t.Run(w.file, func(t *testing.T) {
			reps := readSample(t, w.file, Options{})
			if len(reps) != 1 {
				t.Fatalf("%d reports", len(reps))
			}
			r := reps[0]
			if r.Format != w.format || r.Reporter != w.reporter || r.ReportedDomain != w.domain || r.SourceIP != w.ip || r.DeliveryResult != w.delivery ||
				r.HeaderFromDomain != w.headerFrom || r.Original != w.original || r.OriginalMailFromDomain != w.mailFrom || r.FeedbackType != "auth-failure" || r.Incidents != 1 {
				t.Errorf("got %+v", r)
			}
			if !slices.Equal(r.AuthFailure, w.authFailure) || !slices.Equal(r.IdentityAlignment, w.alignment) {
				t.Errorf("auth failure %v alignment %v", r.AuthFailure, r.IdentityAlignment)
			}
			if got := r.ArrivalDate.Format(time.RFC3339); got != w.arrival {
				t.Errorf("arrival %s", got)
			}
			var q []mailreport.Quirk
			for _, x := range r.Warnings {
				q = append(q, x.Quirk)
			}
			if !slices.Equal(q, w.quirks) {
				t.Errorf("quirks %v, want %v", q, w.quirks)
			}
			if r.Personal != nil || r.ReportID == "" {
				t.Errorf("personal %v, id %q", r.Personal, r.ReportID)
			}
		})
	}
}

func TestParsedmarcFailureDetails(t *testing.T) {
	r := readSample(t, "failure/[Netease DMARC Failure Report] Rent Reminder.eml", Options{})[0]
	if r.DKIMDomain != "entrata.com" || r.UserAgent != "NtesDmarcReporter/1.0" || len(r.AuthResults) != 2 ||
		r.AuthResults[0].Method != "dkim" || r.AuthResults[0].Properties["header.d"] != "entrata.com" ||
		r.AuthResults[1].Method != "spf" || r.AuthResults[1].Properties["smtp.mailfrom"] != "email.entrata.com" {
		t.Errorf("%+v", r)
	}
	r = readSample(t, "failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml", Options{})[0]
	if len(r.AuthResults) != 1 || r.AuthResults[0].Method != "dmarc" || r.AuthResults[0].Result != "fail" || r.AuthResults[0].Properties["header.from"] != "domain.de" {
		t.Errorf("%+v", r.AuthResults)
	}
	if !slices.Equal(r.OriginalRcptToDomains, []string{"domain.de"}) {
		t.Errorf("rcpt %v", r.OriginalRcptToDomains)
	}
}

// The personal data of failure reports: absent by default, present with
// ShowHeaders.
func TestFailurePrivacy(t *testing.T) {
	personal := map[string][]string{
		"failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml": {"peter.pan", "sharepoint@", "Subject", "SharePoint", "Wettbewerber"},
		"failure/[Netease DMARC Failure Report] Rent Reminder.eml":                                        {"Rent Reminder", "redacted@", "bounces+", "xsj399", "N8CowEApcUPo6q1bnXlMAA"},
		"failure/dmarc_ruf_report_linkedin.eml":                                                           {"recipient@", "sender@", "Subject line", "Thread Topic"},
		"failure/exim_plain_text_only_no_arf_part.eml":                                                    {"user@", "Payment from your account", "iPhone"},
	}
	for file, secrets := range personal {
		for _, show := range []bool{false, true} {
			r := readSample(t, file, Options{ShowHeaders: show})[0]
			// The file name the caller gave, which these samples make of
			// the subject, is not the report's data.
			r.Source = ""
			for i := range r.Warnings {
				r.Warnings[i].Source = ""
			}
			b, _ := json.Marshal(r)
			for _, s := range secrets {
				if strings.Contains(string(b), s) != show {
					t.Errorf("%s (show %v): %q in JSON = %v", file, show, s, !show)
				}
			}
		}
	}
	r := readSample(t, "failure/dmarc_ruf_report_linkedin.eml", Options{ShowHeaders: true})[0]
	if len(r.Personal.Headers) < 20 || r.Personal.Headers[0].Name != "Return-Path" || r.Personal.OriginalRcptTo[0] != "recipient@linkedin.com" {
		t.Errorf("%+v", r.Personal)
	}
	r = readSample(t, "failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml", Options{ShowHeaders: true})[0]
	for _, h := range r.Personal.Headers {
		if h.Name == "from" && !strings.HasPrefix(h.Value, `"Interaktive Wettbewerber-Übersicht"`) {
			t.Errorf("encoded-word not decoded: %q", h.Value)
		}
	}
}

func TestFailureNotReport(t *testing.T) {
	for _, rel := range []string{"aggregate/twilight.eml", "smtp_tls/google.com_smtp_tls_report.eml"} {
		f, _ := os.Open(filepath.Join(samples, rel))
		_, err := ParseFile(filepath.Base(rel), f, Options{})
		f.Close()
		if !errors.Is(err, mailreport.ErrNotReport) || !strings.HasPrefix(err.Error(), "failure: ") {
			t.Errorf("%s: %v", rel, err)
		}
	}
}

func TestParseAuthResults(t *testing.T) {
	tests := []struct {
		in   string
		keep bool
		want string
	}{
		{`dmarc=fail (p=none, dis=none) header.from=domain.de`, false, `dmarc=fail header.from=domain.de`},
		{`mx.example; spf=pass (sender; "x") smtp.mailfrom=User@Sub.Example.COM; dkim=pass header.d=example.com header.s=s1`, false, `spf=pass smtp.mailfrom=sub.example.com | dkim=pass header.d=example.com header.s=s1`},
		{`mx.example; spf=pass smtp.mailfrom=user@example.com`, true, `spf=pass smtp.mailfrom=user@example.com`},
		{`mx.example 1; none`, false, ``},
		{`mx.example; dkim/1=PASS header.i="@example.com"`, false, `dkim=pass header.i=example.com`},
		{`mx.example; dmarc=fail ((nested; comment) x) header.from=example.com`, false, `dmarc=fail header.from=example.com`},
	}
	for _, tt := range tests {
		var parts []string
		for _, r := range parseAuthResults(tt.in, tt.keep) {
			s := r.Method + "=" + r.Result
			var keys []string
			for k := range r.Properties {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				s += " " + k + "=" + r.Properties[k]
			}
			parts = append(parts, s)
		}
		if got := strings.Join(parts, " | "); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	for _, w := range failureSamples {
		b, err := os.ReadFile(filepath.Join(samples, w.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := mailreport.Limits{MaxInput: 1 << 20, MaxExpanded: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		reps, err := ParseFile("fuzz", strings.NewReader(string(data)), Options{Limits: lim})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "failure: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		for _, r := range reps {
			if r.Personal != nil {
				t.Fatal("personal data without ShowHeaders")
			}
		}
	})
}

func TestSummarizer(t *testing.T) {
	s := NewSummarizer(SummaryOptions{Tenant: func(d string) string { return "t-" + d }})
	for _, w := range failureSamples {
		for _, r := range readSample(t, w.file, Options{}) {
			s.Add(r)
		}
	}
	sum := s.Result()
	// The two linkedin samples are one report (same reporter and
	// Message-ID), told apart only by their line endings.
	if sum.Reports != 4 || sum.Duplicates != 1 || len(sum.Domains) != 3 {
		t.Fatalf("%+v", sum)
	}
	d := sum.Domains[0]
	if d.Domain != "example.com" || d.Tenant != "t-example.com" || d.Incidents != 2 || d.AuthFailures["dmarc"] != 2 || d.DeliveryResults["delivered"] != 2 ||
		!slices.Equal(d.Reporters, []string{"linkedin.com", "node01.mailgate.example.net"}) || len(d.Sources) != 2 {
		t.Errorf("%+v", d)
	}
}

func TestComplaintIsNotFailureReport(t *testing.T) {
	msg := "From: fbl@isp.example\r\nMessage-ID: <1@isp.example>\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n" +
		"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: FBL/1\r\nVersion: 1\r\nSource-IP: 192.0.2.1\r\n\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: a@example.com\r\nSubject: buy\r\n\r\n--b--\r\n"
	_, err := ParseFile("fbl.eml", strings.NewReader(msg), Options{})
	if !errors.Is(err, mailreport.ErrNotReport) || !strings.Contains(err.Error(), `feedback type "abuse"`) {
		t.Errorf("%v", err)
	}
	r, err := ParseFile("ok.eml", strings.NewReader(strings.Replace(msg, "Feedback-Type: abuse", "Feedback-Type: auth-failure\r\nAuth-Failure: dmarc\r\nReported-Domain: example.com", 1)), Options{})
	if err != nil || r[0].Original != "headers" || r[0].HeaderFromDomain != "example.com" || r[0].OriginalHeaders != 2 {
		t.Errorf("%v %+v", err, r)
	}
}
