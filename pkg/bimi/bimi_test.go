package bimi

import (
	"context"
	"encoding/json"
	"errors"
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
		l, a     string
		declined bool
		codes    []string
		warnings []string
	}{
		{txt: "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem", l: "https://example.com/logo.svg", a: "https://example.com/vmc.pem"},
		{txt: "v=BIMI1;l=https://example.com/logo.svg", l: "https://example.com/logo.svg"},
		{txt: "v = BIMI1 ; l = https://example.com/Logo.SVG ;", l: "https://example.com/Logo.SVG"},
		{txt: "v=BIMI1; l=https://example.com/logo.svgz", l: "https://example.com/logo.svgz"},
		{txt: "v=BIMI1; l=https://example.com/logo.svg?v=2", l: "https://example.com/logo.svg?v=2"},
		{txt: "v=BIMI1; l=; a=;", declined: true},
		{txt: "v=BIMI1; l=", declined: true},
		{txt: "v=BIMI1; l=; a=; lps=true", declined: true},
		{txt: "v=BIMI1; l=https://example.com/l.svg; avp=personal; lps=false; x=y", l: "https://example.com/l.svg"},
		{txt: "v=BIMI1; l=https://example.com/logo.png", l: "https://example.com/logo.png", warnings: []string{FindLocationNotSVG.Code}},
		{txt: "v=BIMI1; l=https://example.com/l.svg; avp=logo", l: "https://example.com/l.svg", warnings: []string{FindBadTagValue.Code}},
		{txt: "v=BIMI1; l=https://example.com/l.svg; lps=yes", l: "https://example.com/l.svg", warnings: []string{FindBadTagValue.Code}},
		{txt: "v=BIMI1;; l=https://example.com/l.svg", l: "https://example.com/l.svg", warnings: []string{FindSyntax.Code}},
		{txt: "v=bimi1; l=https://example.com/l.svg", codes: []string{FindBadVersion.Code}},
		{txt: "V=BIMI1; l=https://example.com/l.svg", codes: []string{FindBadVersion.Code}},
		{txt: "l=https://example.com/l.svg; v=BIMI1", codes: []string{FindBadVersion.Code}},
		{txt: "v=BIMI2; l=https://example.com/l.svg", codes: []string{FindBadVersion.Code}},
		{txt: "", codes: []string{FindBadVersion.Code}},
		{txt: "v=BIMI1", codes: []string{FindNoLocation.Code}},
		{txt: "v=BIMI1; a=https://example.com/vmc.pem", codes: []string{FindNoLocation.Code}},
		{txt: "v=BIMI1; l=http://example.com/l.svg", codes: []string{FindLocationNotHTTPS.Code}},
		{txt: "v=BIMI1; l=example.com/l.svg", codes: []string{FindLocationInvalid.Code}},
		{txt: "v=BIMI1; l=https://localhost/l.svg", codes: []string{FindLocationInvalid.Code}},
		{txt: "v=BIMI1; l=https://a.example/1.svg,https://a.example/2.svg", codes: []string{FindLocationInvalid.Code}},
		{txt: "v=BIMI1; l=https://example.com/l.svg; a=http://example.com/vmc.pem", codes: []string{FindEvidenceNotHTTPS.Code}},
		{txt: "v=BIMI1; l=https://example.com/l.svg; a=vmc.pem", codes: []string{FindEvidenceInvalid.Code}},
		{txt: "v=BIMI1; l=https://example.com/l.svg; l=https://example.com/m.svg", codes: []string{FindSyntax.Code}},
		{txt: "v=BIMI1; l=https://example.com/l.svg; junk", codes: []string{FindSyntax.Code}},
		{txt: "v=BIMI1; 1x=y; l=https://example.com/l.svg", codes: []string{FindSyntax.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.txt, func(t *testing.T) {
			rec, err := ParseRecord(tt.txt)
			if got := problemCodes(err); !reflect.DeepEqual(got, tt.codes) {
				t.Fatalf("problems = %v (%v), want %v", got, err, tt.codes)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "bimi: invalid record: ") {
					t.Errorf("error %q", err)
				}
				return
			}
			var warns []string
			for _, w := range rec.Warnings {
				warns = append(warns, w.Code())
			}
			if rec.Location != tt.l || rec.Evidence != tt.a || rec.Declined != tt.declined || !reflect.DeepEqual(warns, tt.warnings) {
				t.Errorf("record %+v, want l=%q a=%q declined=%v warnings %v", rec, tt.l, tt.a, tt.declined, tt.warnings)
			}
			again, err := ParseRecord(rec.String())
			if err != nil || again.Location != rec.Location || again.Evidence != rec.Evidence {
				t.Errorf("String() %q does not parse back: %v", rec.String(), err)
			}
		})
	}
}

func pct(n int) *int { return &n }

var enforced = DMARC{Checked: true, Found: true, P: "reject"}

func TestCheck(t *testing.T) {
	good := `default._bimi.example.test. 300 IN TXT "v=BIMI1; l=https://example.test/bimi/logo.svg; a=https://example.test/bimi/vmc.pem"`
	tests := []struct {
		name     string
		zone     string
		setup    func(*dnstest.Fake)
		domain   string
		selector string
		dm       DMARC
		status   finding.Status
		want     []string
		not      []string
		record   string // RecordName
		fix      map[string]string
	}{
		{name: "good", zone: good, dm: enforced, status: finding.StatusPass, want: []string{FindAssetsNotChecked.Code}, not: []string{FindNoEvidence.Code}, record: "default._bimi.example.test"},
		{name: "quarantine 100", zone: good, dm: DMARC{Checked: true, Found: true, P: "quarantine", Pct: pct(100)}, status: finding.StatusPass, record: "default._bimi.example.test"},
		{name: "no record", zone: "example.test. 300 IN A 192.0.2.1", dm: enforced, status: finding.StatusSkip, want: []string{FindNoRecord.Code},
			fix: map[string]string{FindNoRecord.Code: `default._bimi.example.test. TXT "v=BIMI1; l=https://example.test/bimi/logo.svg"`}},
		{name: "no evidence", zone: `default._bimi.example.test. 300 IN TXT "v=BIMI1; l=https://example.test/logo.svg"`, dm: enforced, status: finding.StatusPass, want: []string{FindNoEvidence.Code, FindAssetsNotChecked.Code}},
		{name: "declined", zone: `default._bimi.example.test. 300 IN TXT "v=BIMI1; l=; a=;"`, dm: DMARC{Checked: true, Found: true, P: "none"}, status: finding.StatusPass,
			want: []string{FindDeclined.Code}, not: []string{FindDMARCNone.Code, FindAssetsNotChecked.Code}},
		{name: "selector", zone: good + "\nbrand2._bimi.example.test. 300 IN TXT \"v=BIMI1; l=https://example.test/b2.svg\"", selector: "Brand2", dm: enforced, status: finding.StatusPass, record: "brand2._bimi.example.test"},
		{name: "org fallback", domain: "mail.example.test", zone: good, dm: DMARC{Checked: true, Found: true, RecordDomain: "example.test", P: "reject", OrgDomain: "example.test"},
			status: finding.StatusPass, want: []string{FindOrgFallback.Code}, record: "default._bimi.example.test"},
		{name: "no fallback without org domain", domain: "mail.example.test", zone: good, dm: enforced, status: finding.StatusSkip, want: []string{FindNoRecord.Code}},
		{name: "own record wins over org", domain: "mail.example.test", zone: good + "\ndefault._bimi.mail.example.test. 300 IN TXT \"v=BIMI1; l=https://mail.example.test/m.svg\"",
			dm: DMARC{Checked: true, Found: true, P: "reject", OrgDomain: "example.test"}, status: finding.StatusPass, not: []string{FindOrgFallback.Code}, record: "default._bimi.mail.example.test"},
		{name: "multiple", zone: good + "\ndefault._bimi.example.test. 300 IN TXT \"v=BIMI1; l=https://example.test/2.svg\"", dm: enforced, status: finding.StatusFail, want: []string{FindMultipleRecords.Code}},
		{name: "bad version", zone: `default._bimi.example.test. 300 IN TXT "v=bimi1; l=https://example.test/logo.svg"`, dm: enforced, status: finding.StatusFail, want: []string{FindBadVersion.Code},
			not: []string{FindNoRecord.Code}, fix: map[string]string{FindBadVersion.Code: `default._bimi.example.test. TXT "v=BIMI1; l=https://example.test/logo.svg"`}},
		{name: "http logo", zone: `default._bimi.example.test. 300 IN TXT "v=BIMI1; l=http://example.test/logo.svg"`, dm: enforced, status: finding.StatusFail, want: []string{FindLocationNotHTTPS.Code}},
		{name: "dmarc none", zone: good, dm: DMARC{Checked: true, Found: true, P: "none"}, status: finding.StatusFail, want: []string{FindDMARCNone.Code},
			fix: map[string]string{FindDMARCNone.Code: "_dmarc.example.test, change p=none to p=quarantine"}},
		{name: "dmarc missing", zone: good, dm: DMARC{Checked: true}, status: finding.StatusFail, want: []string{FindDMARCMissing.Code},
			fix: map[string]string{FindDMARCMissing.Code: `_dmarc.example.test. TXT "v=DMARC1; p=quarantine;`}},
		{name: "dmarc unknown", zone: good, dm: DMARC{}, status: finding.StatusWarn, want: []string{FindDMARCNotChecked.Code}},
		{name: "quarantine pct 50", zone: good, dm: DMARC{Checked: true, Found: true, P: "quarantine", Pct: pct(50)}, status: finding.StatusFail, want: []string{FindDMARCPct.Code}},
		{name: "reject pct 50", zone: good, dm: DMARC{Checked: true, Found: true, P: "reject", Pct: pct(50)}, status: finding.StatusWarn, want: []string{FindDMARCRejectPct.Code}},
		{name: "sp none", zone: good, dm: DMARC{Checked: true, Found: true, P: "reject", SP: "none"}, status: finding.StatusFail, want: []string{FindDMARCSubdomainNone.Code}},
		{name: "t=y", zone: good, dm: DMARC{Checked: true, Found: true, P: "reject", Testing: true}, status: finding.StatusFail, want: []string{FindDMARCTesting.Code}},
		{name: "inherited dmarc names org record", domain: "mail.example.test", zone: good, dm: DMARC{Checked: true, Found: true, RecordDomain: "example.test", P: "none", OrgDomain: "example.test"},
			status: finding.StatusFail, fix: map[string]string{FindDMARCNone.Code: "_dmarc.example.test"}},
		{name: "timeout", zone: good, setup: func(f *dnstest.Fake) { f.Timeout("default._bimi.example.test", dns.TypeTXT) }, dm: enforced, status: finding.StatusError, want: []string{FindDNSError.Code}},
		{name: "org timeout", domain: "mail.example.test", zone: good, setup: func(f *dnstest.Fake) { f.ServFail("default._bimi.example.test", 0) },
			dm: DMARC{Checked: true, Found: true, P: "reject", OrgDomain: "example.test"}, status: finding.StatusError, want: []string{FindDNSError.Code}},
		// What is definitely wrong is reported even when the rest could not
		// be found out.
		{name: "bad own record, org timeout", domain: "mail.example.test", zone: good + "\ndefault._bimi.mail.example.test. 300 IN TXT \"v=bimi1; l=https://mail.example.test/m.svg\"",
			setup: func(f *dnstest.Fake) { f.ServFail("default._bimi.example.test", 0) },
			dm:    DMARC{Checked: true, Found: true, P: "reject", OrgDomain: "example.test"}, status: finding.StatusFail, want: []string{FindBadVersion.Code, FindDNSError.Code}},
		{name: "bad selector", zone: good, selector: "a_b", dm: enforced, status: finding.StatusError, want: []string{FindInvalidSelector.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := dnstest.NewFake(tt.zone)
			if tt.setup != nil {
				tt.setup(f)
			}
			domain := tt.domain
			if domain == "" {
				domain = "example.test"
			}
			res := Check(context.Background(), f, domain, tt.selector, tt.dm)
			got := map[string]finding.Finding{}
			for _, fd := range res.Findings {
				got[fd.Code] = fd
				if !catalog.Has(fd.Code) {
					t.Errorf("%s not in the catalogue", fd.Code)
				}
				if fd.Severity > finding.Info && fd.Fix == "" {
					t.Errorf("%s has no fix", fd.Code)
				}
			}
			if res.Status != tt.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tt.status, res.Findings)
			}
			for _, c := range tt.want {
				if _, ok := got[c]; !ok {
					t.Errorf("finding %s missing; findings %v", c, res.Findings)
				}
			}
			for _, c := range tt.not {
				if _, ok := got[c]; ok {
					t.Errorf("unexpected finding %s", c)
				}
			}
			if tt.record != "" && res.RecordName != tt.record {
				t.Errorf("record name %q, want %q", res.RecordName, tt.record)
			}
			for c, want := range tt.fix {
				if fd, ok := got[c]; !ok || !strings.Contains(fd.Fix, want) {
					t.Errorf("fix of %s = %q, want it to contain %q", c, fd.Fix, want)
				}
			}
			if res.AssetsChecked {
				t.Error("assets_checked is true")
			}
			if res.Status == finding.StatusError && res.Error == "" {
				t.Error("error status without a message")
			}
		})
	}
}

func TestCheckQueries(t *testing.T) {
	f := dnstest.NewFake("example.test. 300 IN A 192.0.2.1")
	res := Check(context.Background(), f, "a.b.example.test", "s1", DMARC{Checked: true, Found: true, P: "reject", OrgDomain: "example.test"})
	want := []string{"s1._bimi.a.b.example.test TXT", "s1._bimi.example.test TXT"}
	if !reflect.DeepEqual(f.Asked(), want) || !reflect.DeepEqual(res.Queried, []string{"s1._bimi.a.b.example.test", "s1._bimi.example.test"}) {
		t.Errorf("asked %v, queried %v", f.Asked(), res.Queried)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), ":null") || !strings.Contains(string(b), `"assets_checked":false`) {
		t.Errorf("JSON %s", b)
	}
}

func BenchmarkParseRecord(b *testing.B) {
	for b.Loop() {
		if _, err := ParseRecord("v=BIMI1; l=https://example.com/bimi/logo.svg; a=https://example.com/bimi/vmc.pem"); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem", "v=BIMI1; l=; a=;", "v=BIMI1", "v=bimi1;l=x", "", "v=BIMI1; l=https://a.example/x.svg; lps=true; avp=brand"} {
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
		again, err := ParseRecord(rec.String())
		if err != nil || again.Location != rec.Location || again.Evidence != rec.Evidence || again.Declined != rec.Declined {
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
	if want := []string{"bimi.dns-error"}; !slices.Equal(got, want) {
		t.Errorf("transient findings %v, want %v", got, want)
	}
}
