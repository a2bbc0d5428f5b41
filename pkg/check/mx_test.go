package check

import (
	"context"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/dnssec"
)

func codes(r *CheckResult) string {
	var cs []string
	for _, f := range r.Findings {
		cs = append(cs, f.Code)
	}
	return strings.Join(cs, " ")
}

func runOne(t *testing.T, r dns.Resolver, domain string, checks ...string) map[string]*CheckResult {
	t.Helper()
	c, err := New(r, Options{Checks: checks, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	d := c.CheckDomain(context.Background(), domain)
	out := map[string]*CheckResult{}
	for _, cr := range d.Checks {
		out[cr.Check] = cr
	}
	return out
}

func TestMX(t *testing.T) {
	for _, tc := range []struct {
		name   string
		zone   string
		status Status
		codes  string
	}{
		{"good", `
d.test. MX 10 mx1.d.test.
d.test. MX 20 mx2.d.test.
mx1.d.test. A 192.0.2.1
mx1.d.test. AAAA 2001:db8::1
mx2.d.test. A 198.51.100.1`, StatusPass, ""},
		{"no mx", `d.test. A 192.0.2.1`, StatusWarn, "mx.none"},
		{"nxdomain", `other.test. A 192.0.2.1`, StatusFail, "mx.domain-not-found"},
		{"null mx", `d.test. MX 0 .`, StatusPass, "mx.null"},
		{"null mixed", `
d.test. MX 0 .
d.test. MX 10 mx1.d.test.
mx1.d.test. A 192.0.2.1`, StatusFail, "mx.null-mixed"},
		{"cname exchange", `
d.test. MX 10 mail.d.test.
mail.d.test. CNAME host.d.test.
host.d.test. A 192.0.2.1`, StatusWarn, "mx.cname"},
		{"unresolvable", `
d.test. MX 10 gone.d.test.`, StatusFail, "mx.unresolvable"},
		{"ip literal", `
d.test. MX 10 192.0.2.25.`, StatusFail, "mx.ip-literal"},
		{"private address", `
d.test. MX 10 mx1.d.test.
mx1.d.test. A 10.1.2.3`, StatusWarn, "mx.private-address"},
		{"duplicate and equal", `
d.test. MX 10 mx1.d.test.
d.test. MX 20 mx1.d.test.
d.test. MX 10 mx2.d.test.
mx1.d.test. A 192.0.2.1
mx2.d.test. A 192.0.2.2`, StatusWarn, "mx.duplicate-exchange mx.equal-preference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runOne(t, dnstest.NewFake(tc.zone), "d.test", CheckMX)[CheckMX]
			if res.Status != tc.status || codes(res) != tc.codes {
				t.Errorf("status %s codes %q; want %s %q (%+v)", res.Status, codes(res), tc.status, tc.codes, res.Findings)
			}
			for _, f := range res.Findings {
				if f.Message == "" {
					t.Errorf("%s has no message", f.Code)
				}
			}
		})
	}
}

func TestMXTemporaryErrorIsError(t *testing.T) {
	f := dnstest.NewFake(`d.test. MX 10 mx1.d.test.`)
	f.Timeout("mx1.d.test", 0)
	res := runOne(t, f, "d.test", CheckMX)[CheckMX]
	if res.Status != StatusError || !strings.Contains(res.Error, "timed out") {
		t.Errorf("status %s error %q; want error with a timeout", res.Status, res.Error)
	}
	f2 := dnstest.NewFake()
	f2.ServFail("d.test", dns.TypeMX)
	if res := runOne(t, f2, "d.test", CheckMX)[CheckMX]; res.Status != StatusError {
		t.Errorf("SERVFAIL: status %s, want error", res.Status)
	}
}

func TestDNSSEC(t *testing.T) {
	for _, tc := range []struct {
		name, zone, codes string
		status            Status
	}{
		{"unsigned", `d.test. SOA ns.d.test. h.d.test. 1 2 3 4 5`, "dnssec.unsigned", StatusPass},
		{"subdomain of unsigned zone", `d.test. SOA ns.d.test. h.d.test. 1 2 3 4 5
x.d.test. TXT "x"`, "dnssec.unsigned", StatusPass},
		{"no ds", `d.test. SOA ns.d.test. h.d.test. 1 2 3 4 5
d.test. DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==`, "dnssec.no-ds", StatusWarn},
		{"signed, not validated", `d.test. SOA ns.d.test. h.d.test. 1 2 3 4 5
d.test. DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
d.test. DS 2371 13 2 1F987CC6583E92DF0890718C42A4B3C5B8F5DF75C9B5AC6D0E2E0A7E8D8BCB45`, "dnssec.not-validated", StatusPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			domain := "d.test"
			if strings.HasPrefix(tc.name, "subdomain") {
				domain = "x.d.test"
			}
			res := runOne(t, dnstest.NewFake(tc.zone), domain, CheckDNSSEC)[CheckDNSSEC]
			if res.Status != tc.status || codes(res) != tc.codes {
				t.Errorf("status %s codes %q; want %s %q", res.Status, codes(res), tc.status, tc.codes)
			}
			if det := res.Details.(*dnssec.Details); det.Zone != "d.test" {
				t.Errorf("zone %q, want d.test", det.Zone)
			}
		})
	}
}

func TestCheckDomainInvalidName(t *testing.T) {
	c, _ := New(dnstest.NewFake(), Options{Offline: true})
	d := c.CheckDomain(context.Background(), "bad..name")
	if d.Status != StatusError || !strings.Contains(d.Error, "empty label") || len(d.Checks) != 0 {
		t.Errorf("got %+v", d)
	}
}

func TestUnknownCheck(t *testing.T) {
	if _, err := New(dnstest.NewFake(), Options{Checks: []string{"spf", "dmark"}}); err == nil || !strings.Contains(err.Error(), `unknown check "dmark"`) {
		t.Errorf("err = %v", err)
	}
}

func TestRunEmitsEveryDomain(t *testing.T) {
	f := dnstest.NewFake(`a.test. MX 0 .`, `b.test. MX 0 .`, `c.test. MX 0 .`)
	c, _ := New(f, Options{Checks: []string{CheckMX}, Concurrency: 2, Offline: true})
	seen := map[int]string{}
	c.Run(context.Background(), []string{"a.test", "b.test", "c.test", "bad..x"}, func(i int, d *DomainResult) { seen[i] = d.Domain })
	if len(seen) != 4 || seen[0] != "a.test" || seen[3] != "bad..x" {
		t.Errorf("seen = %v", seen)
	}
}
