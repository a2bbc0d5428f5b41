package check

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/profile"
)

const profileZone = `
tenant.test. 300 IN SOA ns1.tenant.test. h.tenant.test. 1 3600 600 86400 300
tenant.test. 300 IN TXT "v=spf1 mx a include:_spf.big.test include:_spf.platform.test -all"
tenant.test. 300 IN MX 10 mx.tenant.test.
tenant.test. 300 IN A 192.0.2.7
mx.tenant.test. 300 IN A 192.0.2.8
_dmarc.tenant.test. 300 IN TXT "v=DMARC1; p=none; rua=mailto:d@tenant.test"
_spf.platform.test. 300 IN TXT "v=spf1 include:_a.platform.test include:_b.platform.test include:_c.platform.test -all"
_a.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
_b.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.2 -all"
_c.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.3 -all"
_spf.big.test. 300 IN TXT "v=spf1 a:x.big.test a:y.big.test a:z.big.test -all"
x.big.test. 300 IN A 192.0.2.10
y.big.test. 300 IN A 192.0.2.11
z.big.test. 300 IN A 192.0.2.12
`

func testProfile(t *testing.T, extra string) *profile.Profile {
	t.Helper()
	p, err := profile.Parse("p.yaml", []byte(`
name: platform
spf:
  include: [_spf.platform.test]
dkim:
  selectors: [{selector: mailu}]
dmarc:
  policy: quarantine
  rua: [mailto:dmarc@platform.test]
`+extra), profile.LoadOptions{Codes: specCodes(Catalogue())})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func specCodes(specs []*finding.Spec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Code)
	}
	return out
}

func checkWith(t *testing.T, opts Options) *DomainResult {
	t.Helper()
	opts.Offline = true
	opts.Now = func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }
	c, err := New(dnstest.NewFake(profileZone), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c.CheckDomain(context.Background(), "tenant.test")
}

func byName(d *DomainResult) map[string]*CheckResult {
	out := map[string]*CheckResult{}
	for _, c := range d.Checks {
		out[c.Check] = c
	}
	return out
}

func TestProfileCheck(t *testing.T) {
	d := checkWith(t, Options{Profile: testProfile(t, "")})
	cs := byName(d)
	p := cs[CheckProfile]
	if p == nil || p.Status != StatusFail {
		t.Fatalf("profile check %+v", p)
	}
	for _, code := range []string{"profile.dkim-selector", "profile.dmarc-policy", "profile.dmarc-rua"} {
		if !strings.Contains(codes(p), code) {
			t.Errorf("profile findings %s lack %s", codes(p), code)
		}
	}
	// The other checks honour it: the profile's selector is required...
	if dk := cs[CheckDKIM]; dk.Status != StatusFail || !strings.Contains(codes(dk), "dkim.") {
		t.Errorf("dkim %s %s", dk.Status, codes(dk))
	}
	// ...and the SPF advice never touches the platform's include.
	var fix string
	for _, f := range cs[CheckSPF].Findings {
		if f.Code == "spf.lookup-limit" || f.Code == "spf.lookup-headroom" {
			fix = f.Fix
		}
	}
	if fix == "" || strings.Contains(fix, "--flatten include:_spf.platform.test") || !strings.Contains(fix, "--flatten include:_spf.big.test") || !strings.Contains(fix, "keep include:_spf.platform.test") {
		t.Errorf("spf fix %q", fix)
	}
	// Without a profile, no profile check.
	d = checkWith(t, Options{})
	if byName(d)[CheckProfile] != nil {
		t.Error("a profile check without a profile")
	}
	if _, err := New(dnstest.NewFake(), Options{Checks: []string{CheckProfile}}); !errors.Is(err, ErrNoProfile) {
		t.Errorf("profile check without a profile: %v", err)
	}
}

func TestPolicyAppliesToEveryCheck(t *testing.T) {
	// --ignore drops the DMARC warning and the profile's DKIM failure; the
	// profile's severity key lowers the policy requirement.
	d := checkWith(t, Options{
		Profile: testProfile(t, "severity:\n  profile.dmarc-policy: warning\n"),
		Policy:  finding.Policy{Ignore: []string{"dmarc.policy-none", "profile.dkim-selector", "dkim.*"}},
		Checks:  []string{CheckDMARC, CheckDKIM, CheckProfile},
	})
	cs := byName(d)
	if c := cs[CheckDMARC]; strings.Contains(codes(c), "dmarc.policy-none") || len(c.Ignored) == 0 {
		t.Errorf("dmarc: %s, ignored %v", codes(c), c.Ignored)
	}
	if c := cs[CheckDKIM]; c.Status != StatusPass || len(c.Findings) != 0 {
		t.Errorf("dkim with dkim.* ignored: %s %s", c.Status, codes(c))
	}
	p := cs[CheckProfile]
	for _, f := range p.Findings {
		if f.Code == "profile.dmarc-policy" && f.Severity != finding.Warning {
			t.Errorf("severity override: %+v", f)
		}
		if f.Code == "profile.dkim-selector" {
			t.Error("an ignored finding is reported")
		}
	}
	// The flags win over the profile.
	d = checkWith(t, Options{
		Profile: testProfile(t, "severity:\n  profile.dmarc-policy: warning\n"),
		Policy:  finding.Policy{Severity: map[string]finding.Severity{"profile.dmarc-policy": finding.Info}},
		Checks:  []string{CheckProfile},
	})
	for _, f := range byName(d)[CheckProfile].Findings {
		if f.Code == "profile.dmarc-policy" && f.Severity != finding.Info {
			t.Errorf("the flag did not win: %+v", f)
		}
	}
}

func TestTenantsInTheCheck(t *testing.T) {
	p := testProfile(t, "")
	ts, err := profile.ParseTenants("t.yaml", []byte(`
tenants:
  acme:
    domains:
      tenant.test:
        waivers:
          - code: dmarc-policy
            reason: migrating
            expires: 2026-12-31
          - code: dmarc.policy-none
            reason: migrating
            expires: 2026-12-31
        dkim:
          selectors: [{selector: s2}]
`), p, profile.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := checkWith(t, Options{Profile: p, Tenants: ts})
	if d.Tenant != "acme" {
		t.Errorf("tenant %q", d.Tenant)
	}
	cs := byName(d)
	for _, f := range cs[CheckProfile].Findings {
		if f.Code == "profile.dmarc-policy" && (f.Severity != finding.Info || !strings.Contains(f.Message, "waived: until 2026-12-31: migrating")) {
			t.Errorf("waived: %+v", f)
		}
	}
	for _, f := range cs[CheckDMARC].Findings {
		if f.Code == "dmarc.policy-none" && f.Severity != finding.Info {
			t.Errorf("a waiver of another check's code: %+v", f)
		}
	}
	// The tenant's extra selector is required too.
	var sels []string
	for _, f := range cs[CheckDKIM].Findings {
		sels = append(sels, f.Name)
	}
	if got := strings.Join(sels, " "); !strings.Contains(got, "mailu._domainkey.tenant.test") || !strings.Contains(got, "s2._domainkey.tenant.test") {
		t.Errorf("dkim findings name %q", got)
	}
}

func TestOfflineNotCheckedIsInfo(t *testing.T) {
	f := dnstest.NewFake(`d.test. 300 IN MX 10 mx.d.test.
mx.d.test. 300 IN A 192.0.2.1
_mta-sts.d.test. 300 IN TXT "v=STSv1; id=1"
mta-sts.d.test. 300 IN A 192.0.2.2`)
	c, err := New(f, Options{Checks: []string{CheckMTASTS}, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	r := c.CheckDomain(context.Background(), "d.test").Checks[0]
	if r.Status != StatusPass || len(r.Findings) != 1 || r.Findings[0].Severity != finding.Info {
		t.Errorf("offline mta-sts: %s %+v", r.Status, r.Findings)
	}
}

func TestAuthoritativeOffline(t *testing.T) {
	d := checkWith(t, Options{Checks: []string{CheckAuthoritative}})
	if c := byName(d)[CheckAuthoritative]; c == nil || c.Status != StatusSkip || !strings.Contains(c.Error, "offline") {
		t.Errorf("offline authoritative check: %+v", c)
	}
}

// Offline, a domain that no zone file covers is an input that could not be
// checked (Invalid, ErrNotCovered), never a pass; a covered one is checked.
func TestNotCoveredOfflineIsInvalid(t *testing.T) {
	z, err := dns.ParseZone(strings.NewReader(`$ORIGIN d.test.
@ 300 IN SOA ns.d.test. h.d.test. 1 7200 3600 1209600 300
@ 300 IN TXT "v=spf1 -all"
`), "d.test.zone", "d.test.")
	if err != nil {
		t.Fatal(err)
	}
	for _, checks := range [][]string{{CheckSPF}, {CheckMX, CheckSPF}, nil} {
		c, err := New(dns.NewChain(z, nil), Options{Checks: checks, Offline: true})
		if err != nil {
			t.Fatal(err)
		}
		got := c.CheckDomain(context.Background(), "typo.test")
		if got.Status != StatusError || len(got.Checks) != 0 || !strings.Contains(got.Error, "no zone file covers it") {
			t.Errorf("checks %v: uncovered domain: %s %q %d checks", checks, got.Status, got.Error, len(got.Checks))
		}
		if ok := c.CheckDomain(context.Background(), "d.test"); len(ok.Checks) == 0 || ok.Error != "" {
			t.Errorf("checks %v: covered domain not checked: %+v", checks, ok)
		}
	}
}
