package profile

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// platformZone is what the platform publishes.
const platformZone = `
penguinmails.com. 300 IN SOA ns1.penguinmails.com. h.penguinmails.com. 1 3600 600 86400 300
_spf.penguinmails.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 include:_s2.penguinmails.com -all"
_s2.penguinmails.com. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
penguinmails.com. 300 IN MX 10 mx.penguinmails.com.
*._report._dmarc.penguinmails.com. 300 IN TXT "v=DMARC1"
mailu._domainkey.tenant.example.dkim.penguinmails.com. 300 IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwL1U4dB7rbsc7v8e2E7C5X0Zm2qJ8xwT6o5uM2w3x5y0pQe8q3Y5bRr8oV3b6cXn1d0kVb9q5x4h8m3v2c7n5r0t1y4e6u8i0o2p4a6s8d0f2g4h6j8k0l2z4x6c8v0b2n4m6Q1W3E5R7T9Y1U3I5O7P9A1S3D5F7G9H1J3K5L7Z9X1C3V5B7N9M1Q3W5E7R9T1Y3U5I7O9P1A3S5D7F9G1H3J5K7L9Z1X3C5V7B9N1M3Q5W7E9R1T3Y5U7I9O1P3A5S7D9F1G3H5J7K9L1Z3X5C7V9B1N3M5Q7W9E1R3T5Y7U9I1O3P5A7S9D1F3G5H7J9K1L3Z5X7C9V1B3N5M7QIDAQAB"
`

func fake(t *testing.T, tenant string) *dnstest.Fake {
	t.Helper()
	return dnstest.NewFake(platformZone, `tenant.example. 300 IN SOA ns1.tenant.example. h.tenant.example. 1 3600 600 86400 300`, tenant)
}

func penguin(t *testing.T) *Profile {
	t.Helper()
	p, err := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func evaluate(t *testing.T, p *Profile, ts *Tenants, r dns.Resolver, domain string) (*Result, *Requirements) {
	t.Helper()
	req, err := p.For(domain, ts, now)
	if err != nil {
		t.Fatal(err)
	}
	return Evaluate(context.Background(), r, req, EvalOptions{Now: func() time.Time { return now }}), req
}

func findingsOf(res *Result) map[string]finding.Finding {
	out := map[string]finding.Finding{}
	for _, f := range res.Findings {
		if _, dup := out[f.Code]; !dup {
			out[f.Code] = f
		}
	}
	return out
}

func rsaRecord(t *testing.T, bits int) (string, *rsa.PrivateKey) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := keyRecord(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return rec, k
}

func txtLine(name, value string) string {
	var q []string
	for _, s := range dkimkey.SplitTXT(value, 255) {
		q = append(q, dkimkey.QuoteTXT(s))
	}
	return name + " 300 IN TXT " + strings.Join(q, " ")
}

func TestNothingPublished(t *testing.T) {
	res, _ := evaluate(t, penguin(t), nil, fake(t, ""), "tenant.example")
	fs := findingsOf(res)
	for code, want := range map[string]string{
		"profile.spf-record":    `publish: tenant.example. 3600 IN TXT "v=spf1 include:_spf.penguinmails.com -all"`,
		"profile.dkim-selector": "--generate-dkim DIR",
		"profile.dmarc-record":  `publish: _dmarc.tenant.example. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@penguinmails.com; ruf=mailto:security@penguinmails.com; fo=1"`,
		"profile.mta-sts":       `publish: _mta-sts.tenant.example. 3600 IN TXT "v=STSv1; id=20261123120000"`,
		"profile.tls-rpt":       "publish a TLS-RPT record",
		"profile.bimi":          "once the logo",
	} {
		f, ok := fs[code]
		if !ok {
			t.Errorf("no %s finding", code)
			continue
		}
		if !strings.Contains(f.Fix, want) {
			t.Errorf("%s fix %q lacks %q", code, f.Fix, want)
		}
	}
	// What a missing record implies is said once.
	for _, code := range []string{"profile.spf-include", "profile.spf-all", "profile.dmarc-policy", "profile.dmarc-rua"} {
		if _, ok := fs[code]; ok {
			t.Errorf("%s reported beside the missing record", code)
		}
	}
	if fs["profile.spf-record"].Severity != finding.Error || fs["profile.mta-sts"].Severity != finding.Warning {
		t.Error("severities do not follow the levels")
	}
	if res.Status != finding.StatusFail || res.Unmet == 0 || res.Incomplete {
		t.Errorf("status %s, %d unmet", res.Status, res.Unmet)
	}
}

func TestMergeWithWhatIsPublished(t *testing.T) {
	r := fake(t, `
tenant.example. 300 IN TXT "v=spf1 mx ip4:203.0.113.5 -all"
tenant.example. 300 IN MX 10 mx.tenant.example.
_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=none; rua=mailto:reports@tenant.example; adkim=s"
`)
	p := penguin(t)
	res, req := evaluate(t, p, nil, r, "tenant.example")
	fs := findingsOf(res)
	spfFix := `publish: tenant.example. 3600 IN TXT "v=spf1 mx ip4:203.0.113.5 include:_spf.penguinmails.com -all" (in place of "v=spf1 mx ip4:203.0.113.5 -all")`
	dmarcFix := `publish: _dmarc.tenant.example. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:reports@tenant.example,mailto:dmarc@penguinmails.com; adkim=s"`
	if f := fs["profile.spf-include"]; f.Fix != spfFix {
		t.Errorf("spf-include fix:\n got %q\nwant %q", f.Fix, spfFix)
	}
	for _, code := range []string{"profile.dmarc-policy", "profile.dmarc-rua"} {
		if !strings.HasPrefix(fs[code].Fix, dmarcFix) {
			t.Errorf("%s fix:\n got %q\nwant %q", code, fs[code].Fix, dmarcFix)
		}
	}
	pl, err := PlanRecords(context.Background(), r, req, PlanOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	spfN := 0
	for _, c := range pl.Changes {
		if c.Type == "TXT" && strings.HasPrefix(c.Value, "v=spf1") {
			spfN++
			if c.Action != ActionReplace || len(c.Current) != 1 {
				t.Errorf("SPF change %+v", c)
			}
		}
	}
	if spfN != 1 {
		t.Errorf("%d SPF records planned", spfN)
	}
	// The platform authorizes its report address (published by the
	// platform, not the tenant).
	if len(pl.Platform) != 1 || pl.Platform[0].Name != "tenant.example._report._dmarc.penguinmails.com" {
		t.Errorf("platform records %+v", pl.Platform)
	}
	if pl.Complete() {
		t.Error("a plan without the DKIM key is complete")
	}
	if pl.Relative("_dmarc.tenant.example") != "_dmarc" || pl.Relative("tenant.example") != "@" || pl.Relative("x.other.example") != "x.other.example." {
		t.Error("Relative")
	}
}

func TestMergeOverTheLookupLimit(t *testing.T) {
	r := fake(t, `
tenant.example. 300 IN TXT "v=spf1 mx a include:_spf.big.example include:_spf.big2.example -all"
tenant.example. 300 IN MX 10 mx.tenant.example.
tenant.example. 300 IN A 203.0.113.5
mx.tenant.example. 300 IN A 203.0.113.6
_spf.big.example. 300 IN TXT "v=spf1 a:a.big.example a:b.big.example a:c.big.example -all"
_spf.big2.example. 300 IN TXT "v=spf1 a:a.big.example a:b.big.example -all"
a.big.example. 300 IN A 192.0.2.10
b.big.example. 300 IN A 192.0.2.11
c.big.example. 300 IN A 192.0.2.12
`)
	p := penguin(t)
	req, _ := p.For("tenant.example", nil, now)
	pl, err := PlanRecords(context.Background(), r, req, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := pl.Changes[0]
	if c.Action != ActionManual || c.Value != "" || !strings.Contains(c.Proposed, "include:_spf.penguinmails.com") {
		t.Fatalf("over the limit: %+v", c)
	}
	for _, want := range []string{"needs 11 DNS lookups", "The platform's terms, which stay: include:_spf.penguinmails.com costs 2", "include:_spf.big.example costs 4", "Cut 1 lookup:", "--flatten include:_spf.big.example --flatten include:_spf.big2.example"} {
		if !strings.Contains(c.Note, want) {
			t.Errorf("note %q lacks %q", c.Note, want)
		}
	}
	if strings.Contains(c.Note, "--flatten include:_spf.penguinmails.com") {
		t.Error("the platform's include is offered for flattening")
	}
	// The same fix is the finding's; the budget is over too.
	res, _ := evaluate(t, p, nil, r, "tenant.example")
	fs := findingsOf(res)
	if !strings.Contains(fs["profile.spf-include"].Fix, "not emitted") {
		t.Errorf("spf-include fix %q", fs["profile.spf-include"].Fix)
	}
}

func TestCompliant(t *testing.T) {
	rec, _ := rsaRecord(t, 2048)
	r := fake(t, `
tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com ~all"
tenant.example. 300 IN MX 10 mx.penguinmails.com.
_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@penguinmails.com"
_mta-sts.tenant.example. 300 IN TXT "v=STSv1; id=2026"
_smtp._tls.tenant.example. 300 IN TXT "v=TLSRPTv1; rua=mailto:tls@tenant.example"
default._bimi.tenant.example. 300 IN TXT "v=BIMI1; l=https://tenant.example/logo.svg"
`+txtLine("mailu._domainkey.tenant.example.", rec))
	res, req := evaluate(t, penguin(t), nil, r, "tenant.example")
	if res.Status != finding.StatusPass || res.Unmet != 0 {
		t.Fatalf("status %s, findings %v", res.Status, res.Findings)
	}
	pl, err := PlanRecords(context.Background(), r, req, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pl.Changes {
		if c.Action != ActionKeep {
			t.Errorf("change %+v for a compliant domain", c)
		}
	}
	if !pl.Complete() {
		t.Error("incomplete")
	}
}

func TestEachRequirementViolated(t *testing.T) {
	good := map[string]string{
		"spf":   `tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com -all"`,
		"dmarc": `_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@penguinmails.com"`,
	}
	rec, _ := rsaRecord(t, 2048)
	small, _ := rsaRecord(t, 1024)
	good["dkim"] = txtLine("mailu._domainkey.tenant.example.", rec)
	p, err := Parse("p.yaml", []byte(`
spf:
  include: [_spf.penguinmails.com]
  all: ~all
dkim:
  selectors: [{selector: mailu}]
dmarc:
  policy: quarantine
  subdomain_policy: reject
  rua: [mailto:dmarc@penguinmails.com]
  ruf: [mailto:security@penguinmails.com]
  fo: "1"
  allow_testing: false
  adkim: strict
mx:
  hosts: [{host: mx.penguinmails.com, preference: 10}]
`), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	full := `_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=quarantine; sp=reject; adkim=s; rua=mailto:dmarc@penguinmails.com; ruf=mailto:security@penguinmails.com; fo=1"`
	base := []string{`tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com ~all"`, full, good["dkim"], `tenant.example. 300 IN MX 10 mx.penguinmails.com.`}
	res, _ := evaluate(t, p, nil, fake(t, strings.Join(base, "\n")), "tenant.example")
	if res.Status != finding.StatusPass {
		t.Fatalf("the base zone does not pass: %v", res.Findings)
	}
	for _, tc := range []struct {
		code    string
		replace int
		with    string
		fix     string
	}{
		{"profile.spf-include", 0, `tenant.example. 300 IN TXT "v=spf1 ip4:192.0.2.1 ~all"`, `"v=spf1 ip4:192.0.2.1 include:_spf.penguinmails.com ~all"`},
		{"profile.spf-all", 0, `tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com -all"`, `"v=spf1 include:_spf.penguinmails.com ~all"`},
		{"profile.spf-all", 0, `tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com ?all"`, `"v=spf1 include:_spf.penguinmails.com ~all"`},
		{"profile.spf-record", 0, `tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com ~all"` + "\n" + `tenant.example. 300 IN TXT "v=spf1 mx ~all"`, "merge them into one"},
		{"profile.dmarc-policy", 1, strings.Replace(full, "p=quarantine", "p=none", 1), `p=quarantine; sp=reject`},
		{"profile.dmarc-subdomain-policy", 1, strings.Replace(full, "sp=reject", "sp=none", 1), `sp=reject`},
		{"profile.dmarc-rua", 1, strings.Replace(full, "rua=mailto:dmarc@penguinmails.com", "rua=mailto:me@tenant.example", 1), `rua=mailto:me@tenant.example,mailto:dmarc@penguinmails.com`},
		{"profile.dmarc-ruf", 1, strings.Replace(full, "; ruf=mailto:security@penguinmails.com", "", 1), `ruf=mailto:security@penguinmails.com`},
		{"profile.dmarc-fo", 1, strings.Replace(full, "fo=1", "fo=0", 1), `fo=1`},
		{"profile.dmarc-testing", 1, strings.Replace(full, "fo=1", "fo=1; pct=50", 1), `fo=1"`},
		{"profile.dmarc-testing", 1, strings.Replace(full, "fo=1", "fo=1; t=y", 1), `fo=1"`},
		{"profile.dmarc-alignment", 1, strings.Replace(full, "adkim=s", "adkim=r", 1), `adkim=s`},
		{"profile.dmarc-record", 1, "", `publish: _dmarc.tenant.example.`},
		{"profile.dkim-selector", 2, "", "needs a key"},
		{"profile.dkim-selector", 2, `mailu._domainkey.tenant.example. 300 IN TXT "v=DKIM1; k=rsa; p="`, "revoked"},
		{"profile.dkim-key-size", 2, txtLine("mailu._domainkey.tenant.example.", small), "fewer than 2048"},
		{"profile.mx", 3, `tenant.example. 300 IN MX 10 mx.tenant.example.`, `publish: tenant.example. 3600 IN MX 10 mx.penguinmails.com.`},
		{"profile.mx", 3, `tenant.example. 300 IN MX 0 .`, `(in place of "0 .")`},
	} {
		zone := append([]string(nil), base...)
		zone[tc.replace] = tc.with
		res, _ := evaluate(t, p, nil, fake(t, strings.Join(zone, "\n")), "tenant.example")
		f, ok := findingsOf(res)[tc.code]
		if !ok || res.Status != finding.StatusFail {
			t.Errorf("%s (%q): status %s, findings %v", tc.code, tc.with, res.Status, res.Findings)
			continue
		}
		if !strings.Contains(f.Fix, tc.fix) && !strings.Contains(f.Message+f.Fix, tc.fix) {
			t.Errorf("%s (%q): fix %q lacks %q", tc.code, tc.with, f.Fix, tc.fix)
		}
	}
}

func TestCNAMEDelegatedSelector(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`
dkim:
  selectors:
    - selector: mailu
      cname: "{selector}._domainkey.{domain}.dkim.penguinmails.com"
`), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		zone, code, msg, fix string
		ok                   bool
	}{
		{`mailu._domainkey.tenant.example. 300 IN CNAME mailu._domainkey.tenant.example.dkim.penguinmails.com.`, "", "", "", true},
		{`mailu._domainkey.tenant.example. 300 IN CNAME mailu.other-esp.example.` + "\n" + `mailu.other-esp.example. 300 IN TXT "v=DKIM1; p=MIIB"`, "profile.dkim-cname", "points at mailu.other-esp.example, not at mailu._domainkey.tenant.example.dkim.penguinmails.com",
			`publish: mailu._domainkey.tenant.example. 3600 IN CNAME mailu._domainkey.tenant.example.dkim.penguinmails.com. (in place of "mailu.other-esp.example.")`, false},
		{"", "profile.dkim-cname", "does not exist", "IN CNAME mailu._domainkey.tenant.example.dkim.penguinmails.com.", false},
	} {
		res, _ := evaluate(t, p, nil, fake(t, tc.zone), "tenant.example")
		if tc.ok {
			if res.Status != finding.StatusPass {
				t.Errorf("delegated: %v", res.Findings)
			}
			continue
		}
		f, ok := findingsOf(res)[tc.code]
		if !ok || !strings.Contains(f.Message, tc.msg) || !strings.Contains(f.Fix, tc.fix) {
			t.Errorf("%q: findings %+v", tc.zone, res.Findings)
		}
	}
}

func TestPinnedKeyAndWaivers(t *testing.T) {
	pinned, _ := rsaRecord(t, 2048)
	other, _ := rsaRecord(t, 2048)
	p := penguin(t)
	ts, err := ParseTenants("tenants.yaml", []byte(`
tenants:
  acme:
    domains:
      tenant.example:
        dkim:
          selectors:
            - selector: mailu
              key: "`+pinned+`"
        waivers:
          - code: dmarc-policy
            reason: moving from p=none with ops' agreement
            expires: 2026-12-31
          - code: profile.mta-sts
            reason: the MTA-STS host is being set up
            expires: 2026-10-01
`), p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := fake(t, `
tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com -all"
_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@penguinmails.com"
`+txtLine("mailu._domainkey.tenant.example.", other))
	res, req := evaluate(t, p, ts, r, "tenant.example")
	fs := findingsOf(res)
	if f := fs["profile.dkim-key"]; f.Code == "" || !strings.Contains(f.Fix, strings.TrimPrefix(pinned, "v=DKIM1; k=rsa; p=")[:40]) {
		t.Errorf("pinned key: %+v", f)
	}
	if _, ok := fs["profile.dmarc-policy"]; !ok {
		t.Error("a waived requirement not met is not reported")
	}
	if f := fs["profile.waiver-expired"]; !strings.Contains(f.Message, "profile.mta-sts") || !strings.Contains(f.Message, "expired on 2026-10-01") {
		t.Errorf("expired waiver: %+v", f)
	}
	// The policy makes the waived finding info.
	st, kept, _ := req.Policy.Adjust(res.Status, res.Findings)
	for _, f := range kept {
		if f.Code == "profile.dmarc-policy" && (f.Severity != finding.Info || !strings.Contains(f.Message, "waived: until 2026-12-31: moving from p=none")) {
			t.Errorf("waived finding %+v", f)
		}
	}
	if st != finding.StatusFail { // the pinned key still fails
		t.Errorf("status %s", st)
	}
	// records honours the waiver: p stays none.
	pl, _ := PlanRecords(context.Background(), r, req, PlanOptions{})
	for _, c := range pl.Changes {
		if c.Name == "_dmarc.tenant.example" && c.Action != ActionKeep {
			t.Errorf("the waived policy is changed: %+v", c)
		}
		if c.Name == "mailu._domainkey.tenant.example" && (c.Action != ActionReplace || c.Value != pinned) {
			t.Errorf("pinned key change %+v", c)
		}
	}
	// A waiver that is no longer needed is said.
	r2 := fake(t, `
tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com -all"
_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@penguinmails.com"
`+txtLine("mailu._domainkey.tenant.example.", pinned))
	res, _ = evaluate(t, p, ts, r2, "tenant.example")
	if _, ok := findingsOf(res)["profile.waiver-unused"]; !ok {
		t.Errorf("unused waiver not reported: %v", res.Findings)
	}
}

func TestDNSFailureIsUnknown(t *testing.T) {
	r := fake(t, `tenant.example. 300 IN TXT "v=spf1 include:_spf.penguinmails.com -all"`)
	r.ServFail("_dmarc.tenant.example", dns.TypeTXT)
	res, _ := evaluate(t, penguin(t), nil, r, "tenant.example")
	f, ok := findingsOf(res)["profile.dns-error"]
	if !ok || !f.Transient || !res.Incomplete {
		t.Fatalf("findings %+v", res.Findings)
	}
	if _, ok := findingsOf(res)["profile.dmarc-record"]; ok {
		t.Error("an unknown record is reported missing")
	}
}

func TestBudget(t *testing.T) {
	p, _ := Parse("p.yaml", []byte("spf:\n  include: [_spf.penguinmails.com]\n  lookup_budget: 9\n"), LoadOptions{})
	r := fake(t, `
tenant.example. 300 IN TXT "v=spf1 mx include:_spf.penguinmails.com -all"
tenant.example. 300 IN MX 10 mx.tenant.example.
`)
	res, _ := evaluate(t, p, nil, r, "tenant.example")
	var subjects []string
	for _, rr := range res.Requirements {
		if rr.Requirement == "spf-budget" && !rr.Met {
			subjects = append(subjects, rr.Subject)
		}
	}
	// The platform's 2 lookups exceed 10-9; the tenant's mx (1) is within 9.
	if strings.Join(subjects, ",") != "platform" {
		t.Errorf("budget results %v, findings %v", subjects, res.Findings)
	}
	if f := findingsOf(res)["profile.spf-budget"]; f.Severity != finding.Warning || !strings.Contains(f.Fix, "the tenant cannot fix this") {
		t.Errorf("budget finding %+v", f)
	}
}

func TestGenerateDKIM(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	p := penguin(t)
	req, _ := p.For("tenant.example", nil, now)
	r := fake(t, "")
	pl, err := PlanRecords(context.Background(), r, req, PlanOptions{GenerateDKIM: dir})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mailu.tenant.example.pem")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v", di.Mode().Perm())
	}
	var first string
	for _, c := range pl.Changes {
		if c.Name == "mailu._domainkey.tenant.example" {
			first = c.Value
			if c.Action != ActionAdd || !strings.HasPrefix(c.Value, "v=DKIM1; k=rsa; p=MII") || strings.Contains(c.Note, "PRIVATE") {
				t.Errorf("dkim change %+v", c)
			}
		}
	}
	if len(pl.Keys) != 1 || pl.Keys[0].Bits != 2048 || pl.Keys[0].File != path {
		t.Errorf("keys %+v", pl.Keys)
	}
	// Again: the key file is used, never replaced.
	pl, err = PlanRecords(context.Background(), r, req, PlanOptions{GenerateDKIM: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pl.Changes {
		if c.Name == "mailu._domainkey.tenant.example" && c.Value != first {
			t.Error("a second run made another key")
		}
	}
	// Force replaces it.
	pl, _ = PlanRecords(context.Background(), r, req, PlanOptions{GenerateDKIM: dir, Force: true})
	for _, c := range pl.Changes {
		if c.Name == "mailu._domainkey.tenant.example" && c.Value == first {
			t.Error("Force kept the key")
		}
	}
	// A file that is not a key is not overwritten.
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := PlanRecords(context.Background(), r, req, PlanOptions{GenerateDKIM: dir}); err == nil || !strings.Contains(err.Error(), "not a usable key") {
		t.Errorf("a bad key file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key" {
		t.Error("the file was changed")
	}
}
