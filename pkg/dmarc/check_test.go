package dmarc

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func codes(res *CheckResult) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return out
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		zone   []string
		domain string
		want   []string // codes, sorted
		check  func(*testing.T, *CheckResult)
	}{
		{
			name:   "good record with internal rua",
			domain: "example.com",
			zone: []string{
				`_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"`,
				`example.com. MX 10 mx.example.com.`,
			},
			want: nil,
			check: func(t *testing.T, r *CheckResult) {
				if r.Policy == nil || !r.Policy.Enforcing() || r.Policy.P != PolicyReject || r.Policy.NP != PolicyReject {
					t.Errorf("policy = %+v", r.Policy)
				}
				if len(r.Destinations) != 1 || r.Destinations[0].Authorization != AuthNotNeeded || r.Destinations[0].Receive != ReceiveMX {
					t.Errorf("destinations = %+v", r.Destinations)
				}
			},
		},
		{
			name:   "no record",
			domain: "example.com",
			want:   []string{"dmarc.no-record"},
			check: func(t *testing.T, r *CheckResult) {
				if !strings.Contains(r.Findings[0].Fix, `_dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"`) {
					t.Errorf("fix = %s", r.Findings[0].Fix)
				}
				if r.Policy != nil {
					t.Errorf("policy = %+v", r.Policy)
				}
			},
		},
		{
			name:   "record at apex",
			domain: "example.com",
			zone:   []string{`example.com. TXT "v=DMARC1; p=reject"`},
			want:   []string{"dmarc.no-record", "dmarc.record-at-apex"},
		},
		{
			name:   "p=none, no rua, removed and unknown tags, pct",
			domain: "example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=DMARC1; p=none; pct=50; ri=3600; foo=bar"`},
			want:   []string{"dmarc.no-rua", "dmarc.pct-below-100", "dmarc.policy-none", "dmarc.removed-tag", "dmarc.removed-tag", "dmarc.unknown-tag"},
			check: func(t *testing.T, r *CheckResult) {
				for _, f := range r.Findings {
					if f.Code == "dmarc.policy-none" && !strings.Contains(f.Fix, `"v=DMARC1; p=quarantine"`) {
						t.Errorf("policy-none fix = %s", f.Fix)
					}
				}
			},
		},
		{
			name:   "t=y and weak sp/np",
			domain: "example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=none; np=quarantine; t=y; rua=mailto:d@example.com"`, `example.com. A 192.0.2.1`},
			want:   []string{"dmarc.testing", "dmarc.weak-subdomain-policy"},
			check: func(t *testing.T, r *CheckResult) {
				if r.Policy.Enforcing() {
					t.Error("t=y is not enforcing")
				}
			},
		},
		{
			name:   "multiple records",
			domain: "example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=DMARC1; p=reject"`, `_dmarc.example.com. TXT "v=DMARC1; p=none"`},
			want:   []string{"dmarc.multiple-records"},
		},
		{
			name:   "near miss version",
			domain: "example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=dmarc1; p=reject"`},
			want:   []string{"dmarc.invalid-version", "dmarc.no-record"},
		},
		{
			name:   "syntax error and duplicate",
			domain: "example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=x; p=none; rua=mailto:d@example.com"`, `example.com. A 192.0.2.1`},
			want:   []string{"dmarc.duplicate-tag", "dmarc.syntax"},
		},
		{
			name:   "external destinations",
			domain: "example.com",
			zone: []string{
				`_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:a@vendor.example.net,mailto:b@other.example.org; ruf=mailto:c@dead.example"`,
				`example.com._report._dmarc.vendor.example.net. CNAME auth.vendor.example.net.`,
				`auth.vendor.example.net. TXT "v=DMARC1"`,
				`vendor.example.net. MX 10 mx.vendor.example.net.`,
				`other.example.org. A 192.0.2.7`,
				`dead.example. MX 0 .`,
			},
			want: []string{"dmarc.destination-cannot-receive", "dmarc.unauthorized-destination", "dmarc.unauthorized-destination"},
			check: func(t *testing.T, r *CheckResult) {
				if len(r.Destinations) != 3 {
					t.Fatalf("destinations = %+v", r.Destinations)
				}
				d0, d1, d2 := r.Destinations[0], r.Destinations[1], r.Destinations[2]
				if d0.Authorization != AuthAuthorized || len(d0.AuthCNAMEs) != 1 || d0.Receive != ReceiveMX {
					t.Errorf("vendor: %+v", d0)
				}
				if d1.Authorization != AuthMissing || d1.Receive != ReceiveAddress {
					t.Errorf("other: %+v", d1)
				}
				if d2.Authorization != AuthMissing || d2.Receive != ReceiveNullMX {
					t.Errorf("dead: %+v", d2)
				}
			},
		},
		{
			name:   "too many rua",
			domain: "example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.com,mailto:c@example.com"`, `example.com. MX 10 mx.example.com.`},
			want:   []string{"dmarc.too-many-rua"},
		},
		{
			name:   "inherited from org domain",
			domain: "mail.example.com",
			zone:   []string{`_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"`, `mail.example.com. A 192.0.2.1`},
			want:   []string{"dmarc.inherited", "dmarc.weak-subdomain-policy"},
			check: func(t *testing.T, r *CheckResult) {
				if r.Policy.Applied != PolicyQuarantine || r.Policy.Source != "sp" {
					t.Errorf("policy = %+v", r.Policy)
				}
			},
		},
		{
			name:   "views disagree: record at an intermediate label",
			domain: "a.b.example.com",
			zone:   []string{`_dmarc.b.example.com. TXT "v=DMARC1; p=reject; rua=mailto:d@b.example.com"`, `_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:d@example.com"`, `a.b.example.com. A 192.0.2.1`},
			want:   []string{"dmarc.inherited", "dmarc.views-disagree"},
			check: func(t *testing.T, r *CheckResult) {
				if r.RecordDomain != "b.example.com" || r.Discovery.RFC7489.RecordDomain != "example.com" {
					t.Errorf("discovery = %+v", r.Discovery)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := dnstest.NewFake(tt.zone...)
			res, err := Check(ctx, f, tt.domain, CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(res); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				b, _ := json.MarshalIndent(res.Findings, "", " ")
				t.Errorf("codes = %v, want %v\n%s", got, tt.want, b)
			}
			for _, f := range res.Findings {
				if !catalog.Has(f.Code) {
					t.Errorf("code %s not in the catalogue", f.Code)
				}
				if f.Fix == "" && f.Code != "dmarc.psd-record" {
					t.Errorf("%s has no fix", f.Code)
				}
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func TestCheckTempError(t *testing.T) {
	f := dnstest.NewFake()
	f.Timeout("_dmarc.example.com", dns.TypeTXT)
	res, err := Check(context.Background(), f, "example.com", CheckOptions{})
	if err == nil || !dns.IsTemporary(err) || res == nil || !res.Incomplete {
		t.Fatalf("err = %v, res = %+v", err, res)
	}
	if _, err := Check(context.Background(), f, "a..b", CheckOptions{}); err == nil {
		t.Error("bad domain accepted")
	}
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	f := dnstest.NewFake(
		`_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; pct=20; rua=mailto:d@example.com"`,
		`mail.example.com. A 192.0.2.1`,
	)
	// Existing subdomain: sp; the RFC 7489 view adds pct.
	res, err := Evaluate(ctx, f, EvalInput{From: "User@Mail.Example.COM", SPF: []AuthResult{{Domain: "bounce.other.example", Result: "pass"}}, DKIM: []AuthResult{{Domain: "example.com", Result: "fail"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Result != ResultFail || res.Policy != PolicyQuarantine || res.PolicySource != "sp" || res.FromDomain != "mail.example.com" {
		t.Errorf("result = %+v", res)
	}
	if got, want := res.AuthResultsProperty(), "dmarc=fail (p=reject sp=quarantine np=reject dis=quarantine) header.from=mail.example.com"; got != want {
		t.Errorf("Authentication-Results: %q, want %q", got, want)
	}
	if res.RFC7489.Pct == nil || *res.RFC7489.Pct != 20 || !res.ViewsDiffer {
		t.Errorf("legacy = %+v differ %v %v", res.RFC7489, res.ViewsDiffer, res.Differences)
	}
	// Non-existent subdomain: np.
	res, _ = Evaluate(ctx, f, EvalInput{From: "x@ghost.example.com"})
	if res.Policy != PolicyReject || res.PolicySource != "np" || res.RFC7489.Policy != PolicyQuarantine {
		t.Errorf("np: %+v / %+v", res, res.RFC7489)
	}
	// Relaxed DKIM pass.
	res, _ = Evaluate(ctx, f, EvalInput{From: "mail.example.com", DKIM: []AuthResult{{Domain: "example.com", Result: "pass"}}})
	if res.Result != ResultPass || !res.Alignment.DKIM.Aligned || res.Alignment.DKIM.Strict {
		t.Errorf("relaxed: %+v", res.Alignment)
	}
	// Temporary failure.
	f.Timeout("_dmarc.t.example.com", dns.TypeTXT)
	res, _ = Evaluate(ctx, f, EvalInput{From: "t.example.com"})
	if res.Result != ResultTempError {
		t.Errorf("temperror: %+v", res)
	}
	// A failure on one identifier's walk does not matter when another aligns.
	f.Timeout("_dmarc.slow.example", dns.TypeTXT)
	res, _ = Evaluate(ctx, f, EvalInput{From: "example.com", SPF: []AuthResult{{Domain: "slow.example", Result: "pass"}}, DKIM: []AuthResult{{Domain: "example.com", Result: "pass"}}})
	if res.Result != ResultPass {
		t.Errorf("pass despite an unrelated failure: %+v", res)
	}
	res, _ = Evaluate(ctx, f, EvalInput{From: "example.com", SPF: []AuthResult{{Domain: "slow.example", Result: "pass"}}})
	if res.Result != ResultTempError {
		t.Errorf("temperror when nothing else aligns: %+v", res)
	}
	if _, err := Evaluate(ctx, f, EvalInput{From: "user@[192.0.2.1]"}); err == nil {
		t.Error("address literal accepted")
	}
}

func TestOrgDomainTreeWalk(t *testing.T) {
	ctx := context.Background()
	f := dnstest.NewFake(
		`_dmarc.bank.example. TXT "v=DMARC1; p=reject; psd=y"`,
		`_dmarc.giant.bank.example. TXT "v=DMARC1; p=quarantine"`,
		`_dmarc.b.example.com. TXT "v=DMARC1; p=reject; psd=n"`,
		`_dmarc.example.com. TXT "v=DMARC1; p=none"`,
	)
	for in, want := range map[string]string{
		"mail.giant.bank.example": "giant.bank.example",
		"mail.mega.bank.example":  "mega.bank.example",
		"bank.example":            "bank.example",
		"x.a.b.example.com":       "b.example.com",
		"c.example.com":           "example.com",
		"nothing.example.org":     "nothing.example.org",
	} {
		got, err := OrgDomain(ctx, f, in)
		if err != nil || got != want {
			t.Errorf("OrgDomain(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	txt := "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=r; rua=mailto:dmarc@example.com,mailto:reports@vendor.example.net!10m; ruf=mailto:f@example.com; fo=1:d"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(txt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	f := dnstest.NewFake(`_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:d@example.com"`, `mail.example.com. A 192.0.2.1`)
	in := EvalInput{From: "user@a.mail.example.com", SPF: []AuthResult{{Domain: "bounces.example.com", Result: "pass"}}, DKIM: []AuthResult{{Domain: "example.com", Result: "pass"}}}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Evaluate(ctx, f, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrgDomain7489(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = OrgDomain7489("www.a.b.example.co.uk")
	}
}
