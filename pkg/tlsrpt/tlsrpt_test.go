package tlsrpt

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func problemCodes(err error) []string {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	var out []string
	for _, p := range se.Problems {
		out = append(out, p.Code())
	}
	return out
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		txt      string
		rua      []string
		codes    []string
		warnings int
	}{
		{txt: "v=TLSRPTv1;rua=mailto:reports@example.com", rua: []string{"mailto:reports@example.com"}},
		{txt: "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", rua: []string{"https://reporting.example.com/v1/tlsrpt"}},
		{txt: "v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/x;", rua: []string{"mailto:a@example.com", "https://r.example.com/x"}},
		{txt: "v=TLSRPTv1 ; rua=mailto:a@example.com; ext=1", rua: []string{"mailto:a@example.com"}},
		{txt: "v=TLSRPTv1; rua=MAILTO:a@example.com", rua: []string{"MAILTO:a@example.com"}},
		{txt: "v=TLSRPTv1; rua=mailto:tls%2Brpt@example.com", rua: []string{"mailto:tls%2Brpt@example.com"}},
		{txt: "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", rua: []string{"mailto:a@example.com"}, warnings: 1},
		{txt: "v=TLSRPTv1;; rua=mailto:a@example.com", rua: []string{"mailto:a@example.com"}, warnings: 1},
		{txt: "rua=mailto:reports@example.com; v=TLSRPTv1", codes: []string{FindBadVersion.Code}},
		{txt: "v=tlsrptv1; rua=mailto:a@example.com", codes: []string{FindBadVersion.Code}},
		{txt: "v=TLSRPTv2; rua=mailto:a@example.com", codes: []string{FindBadVersion.Code}},
		{txt: "v=TLSRPTv1", codes: []string{FindNoRUA.Code}},
		{txt: "v=TLSRPTv1; ruf=mailto:a@example.com", codes: []string{FindNoRUA.Code}},
		{txt: "v=TLSRPTv1; rua=", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=mailto:a@example.com,", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=a@example.com", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=mailto:a@example.com!10m", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=mailto:not-an-address", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=mailto:a@localhost", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=mailto:", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=https:///x", codes: []string{FindRUAInvalid.Code}},
		{txt: "v=TLSRPTv1; rua=http://r.example.com/x", codes: []string{FindRUAHTTP.Code}},
		{txt: "v=TLSRPTv1; rua=ftp://r.example.com/x", codes: []string{FindRUAScheme.Code}},
		{txt: "v=TLSRPTv1; rua = mailto:a@example.com", codes: []string{FindSyntax.Code, FindNoRUA.Code}},
		{txt: "v=TLSRPTv1 rua=mailto:a@example.com", codes: []string{FindSyntax.Code, FindNoRUA.Code}},
		{txt: "", codes: []string{FindBadVersion.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.txt, func(t *testing.T) {
			rec, err := ParseRecord(tt.txt)
			if got := problemCodes(err); !reflect.DeepEqual(got, tt.codes) {
				t.Fatalf("problems = %v (%v), want %v", got, err, tt.codes)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "tlsrpt: invalid record: ") {
					t.Errorf("error %q", err)
				}
				return
			}
			if !reflect.DeepEqual(rec.RUA, tt.rua) || len(rec.Warnings) != tt.warnings {
				t.Errorf("rua %v warnings %v, want %v and %d", rec.RUA, rec.Warnings, tt.rua, tt.warnings)
			}
			if again, err := ParseRecord(rec.String()); err != nil || !reflect.DeepEqual(again.RUA, rec.RUA) {
				t.Errorf("String() %q does not parse back: %v", rec.String(), err)
			}
		})
	}
}

// TestRFCVectors runs the RFC 8460 part of
// mta-sts/rfc8461-rfc8460-vectors.json.
func TestRFCVectors(t *testing.T) {
	b, err := os.ReadFile("../../testdata/conformance/mta-sts/rfc8461-rfc8460-vectors.json")
	if err != nil {
		t.Fatalf("conformance data missing: %v", err)
	}
	var v struct {
		Cases []struct {
			TXT    string `json:"txt"`
			Expect struct {
				Valid bool     `json:"valid"`
				RUA   []string `json:"rua"`
			} `json:"expect"`
			Ref string `json:"ref"`
		} `json:"tlsrpt_txt_records"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	pass := 0
	for i, c := range v.Cases {
		rec, err := ParseRecord(c.TXT)
		if (err == nil) != c.Expect.Valid || c.Expect.RUA != nil && !reflect.DeepEqual(rec.RUA, c.Expect.RUA) {
			t.Errorf("tlsrpt_txt_records[%d] %s: %+v %v, want %+v", i, c.Ref, rec, err, c.Expect)
			continue
		}
		pass++
	}
	if len(v.Cases) != 4 {
		t.Errorf("%d TLSRPT vectors, expected 4", len(v.Cases))
	}
	t.Logf("RFC 8460 vectors: %d/%d pass", pass, len(v.Cases))
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		zone   string
		setup  func(*dnstest.Fake)
		status finding.Status
		codes  []string
		fix    string // in the first finding's fix
	}{
		{name: "good", zone: `_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.test"`, status: finding.StatusPass},
		{name: "split strings", zone: `_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tls" "rpt@example.test"`, status: finding.StatusPass},
		{name: "none", zone: `example.test. 300 IN A 192.0.2.1`, status: finding.StatusWarn, codes: []string{FindNoRecord.Code},
			fix: `_smtp._tls.example.test. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.test"`},
		{name: "other txt only", zone: `_smtp._tls.example.test. 300 IN TXT "hello"`, status: finding.StatusWarn, codes: []string{FindNoRecord.Code}},
		{name: "near miss", zone: `_smtp._tls.example.test. 300 IN TXT "v=tlsrptv1; rua=mailto:r@example.net"`, status: finding.StatusFail, codes: []string{FindBadVersion.Code},
			fix: `_smtp._tls.example.test. TXT "v=TLSRPTv1; rua=mailto:r@example.net"`},
		{name: "multiple", zone: `_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:a@example.test"
_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=https://r.example.test/x"`, status: finding.StatusFail, codes: []string{FindMultipleRecords.Code},
			fix: `"v=TLSRPTv1; rua=mailto:a@example.test,https://r.example.test/x"`},
		{name: "http", zone: `_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=http://r.example.test/x,mailto:a@example.test"`, status: finding.StatusFail, codes: []string{FindRUAHTTP.Code},
			fix: `"v=TLSRPTv1; rua=https://r.example.test/x,mailto:a@example.test"`},
		{name: "no rua", zone: `_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1;"`, status: finding.StatusFail, codes: []string{FindNoRUA.Code}},
		{name: "dup rua", zone: `_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:a@example.test; rua=mailto:b@example.test"`, status: finding.StatusWarn, codes: []string{FindDuplicateField.Code}},
		{name: "timeout", setup: func(f *dnstest.Fake) { f.Timeout("_smtp._tls.example.test", dns.TypeTXT) }, status: finding.StatusError, codes: []string{FindDNSError.Code}},
		{name: "servfail", setup: func(f *dnstest.Fake) { f.ServFail("_smtp._tls.example.test", 0) }, status: finding.StatusError, codes: []string{FindDNSError.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := dnstest.NewFake(tt.zone)
			if tt.setup != nil {
				tt.setup(f)
			}
			res := Check(context.Background(), f, "example.test")
			var got []string
			for _, fd := range res.Findings {
				got = append(got, fd.Code)
				if !catalog.Has(fd.Code) {
					t.Errorf("%s not in the catalogue", fd.Code)
				}
				if fd.Severity > finding.Info && fd.Fix == "" {
					t.Errorf("%s has no fix", fd.Code)
				}
			}
			if res.Status != tt.status || !reflect.DeepEqual(got, tt.codes) {
				t.Fatalf("status %s findings %v, want %s %v", res.Status, res.Findings, tt.status, tt.codes)
			}
			if tt.fix != "" && !strings.Contains(res.Findings[0].Fix, tt.fix) {
				t.Errorf("fix %q lacks %q", res.Findings[0].Fix, tt.fix)
			}
			if res.Status == finding.StatusPass && !res.Valid {
				t.Error("pass without a valid record")
			}
			if res.Status == finding.StatusError && res.Error == "" {
				t.Error("error without a message")
			}
		})
	}
	res := Check(context.Background(), dnstest.NewFake(), "bad..test")
	if res.Status != finding.StatusError || res.Findings[0].Code != FindInvalidDomain.Code {
		t.Errorf("invalid domain: %+v", res)
	}
	b, _ := json.Marshal(Check(context.Background(), dnstest.NewFake(), "example.test"))
	if strings.Contains(string(b), ":null") || !strings.Contains(string(b), `"record_name":"_smtp._tls.example.test"`) {
		t.Errorf("JSON %s", b)
	}
}

func BenchmarkParseRecord(b *testing.B) {
	for b.Loop() {
		if _, err := ParseRecord("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x"); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=TLSRPTv1;rua=mailto:reports@example.com", "v=TLSRPTv1; rua=https://r.example.com/x,mailto:a@b.example", "v=TLSRPTv1", "rua=x; v=TLSRPTv1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := ParseRecord(s)
		if rec == nil {
			t.Fatal("nil record")
		}
		if err != nil {
			return
		}
		if len(rec.RUA) == 0 {
			t.Fatalf("%q: valid without rua", s)
		}
		again, err := ParseRecord(rec.String())
		if err != nil || !reflect.DeepEqual(again.RUA, rec.RUA) {
			t.Fatalf("%q: String() %q does not parse back: %v", s, rec.String(), err)
		}
	})
}

// TestTransientFindings pins the findings that mean "could not find out"
// (finding.Judge makes a result with one error, never fail).
func TestTransientFindings(t *testing.T) {
	var got []string
	for _, s := range Findings() {
		if s.Transient {
			got = append(got, s.Code)
		}
	}
	if want := []string{"tls-rpt.dns-error"}; !slices.Equal(got, want) {
		t.Errorf("transient findings %v, want %v", got, want)
	}
}
