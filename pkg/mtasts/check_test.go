package mtasts

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func codes(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Code)
	}
	return out
}

func has(res *Result, code string) *finding.Finding {
	for i := range res.Findings {
		if res.Findings[i].Code == code {
			return &res.Findings[i]
		}
	}
	return nil
}

const goodZone = `
example.test. 300 IN MX 10 mx1.example.test.
example.test. 300 IN MX 20 mx2.example.test.
_mta-sts.example.test. 300 IN TXT "v=STSv1; id=20260101T000000"
mta-sts.example.test. 300 IN A 192.0.2.10
`

var fixed = Options{Now: func() time.Time { return testNow }}

func TestCheck(t *testing.T) {
	ps := newPolicyServer(t)
	enforce := policyBody("version: STSv1", "mode: enforce", "mx: mx1.example.test", "mx: mx2.example.test", "max_age: 604800")
	tests := []struct {
		name          string
		zone          string
		setup         func(f *dnstest.Fake)
		route         *route
		offline       bool
		unreachable   bool
		mx            []string
		status        finding.Status
		want          []string // codes that must be present
		not           []string // codes that must be absent
		policyChecked bool
	}{
		{name: "good enforce", zone: goodZone, route: &route{contentType: "text/plain", body: enforce}, status: finding.StatusPass, policyChecked: true},
		{name: "wildcard pattern", zone: goodZone, route: &route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: *.example.test", "max_age: 604800")},
			status: finding.StatusPass, policyChecked: true},
		{name: "offline is never a pass", zone: goodZone, offline: true, status: finding.StatusWarn, want: []string{FindPolicyNotChecked.Code}},
		{name: "https unreachable", zone: goodZone, unreachable: true, status: finding.StatusError, want: []string{FindPolicyUnreachable.Code}},
		{name: "no record", zone: "example.test. 300 IN MX 10 mx1.example.test.\n", status: finding.StatusWarn, want: []string{FindNoRecord.Code}},
		{name: "no mx", zone: "example.test. 300 IN A 192.0.2.1\n", status: finding.StatusSkip, want: []string{FindNoMX.Code}},
		{name: "null mx", zone: "example.test. 300 IN MX 0 .\n", status: finding.StatusSkip, want: []string{FindNoMX.Code}},
		{name: "near miss", zone: "example.test. 300 IN MX 10 mx1.example.test.\n_mta-sts.example.test. 300 IN TXT \"v=STSv2; id=1\"\n",
			status: finding.StatusFail, want: []string{FindRecordBadVersion.Code}, not: []string{FindNoRecord.Code}},
		{name: "other txt ignored", zone: goodZone + "_mta-sts.example.test. 300 IN TXT \"google-site-verification=x\"\n", route: &route{contentType: "text/plain", body: enforce},
			status: finding.StatusPass, policyChecked: true},
		{name: "multiple records", zone: goodZone + "_mta-sts.example.test. 300 IN TXT \"v=STSv1; id=2\"\n", route: &route{contentType: "text/plain", body: enforce},
			status: finding.StatusFail, want: []string{FindMultipleRecords.Code}, policyChecked: true},
		{name: "bad id", zone: strings.Replace(goodZone, "id=20260101T000000", "id=2026-01-01", 1), route: &route{contentType: "text/plain", body: enforce},
			status: finding.StatusFail, want: []string{FindRecordBadID.Code}, policyChecked: true},
		{name: "txt timeout", zone: goodZone, setup: func(f *dnstest.Fake) { f.Timeout("_mta-sts.example.test", dns.TypeTXT) }, status: finding.StatusError, want: []string{FindDNSError.Code}},
		{name: "txt servfail", zone: goodZone, setup: func(f *dnstest.Fake) { f.ServFail("_mta-sts.example.test", dns.TypeTXT) }, status: finding.StatusError, want: []string{FindDNSError.Code}},
		{name: "mx servfail", zone: goodZone, setup: func(f *dnstest.Fake) { f.ServFail("example.test", dns.TypeMX) }, route: &route{contentType: "text/plain", body: enforce},
			status: finding.StatusError, want: []string{FindDNSError.Code}, policyChecked: true},
		{name: "policy host missing", zone: strings.Replace(goodZone, "mta-sts.example.test. 300 IN A 192.0.2.10", "", 1), status: finding.StatusFail, want: []string{FindPolicyHostMissing.Code}, policyChecked: true},
		{name: "policy 404", zone: goodZone, route: &route{status: 404, contentType: "text/plain", body: "nope"}, status: finding.StatusFail, want: []string{FindPolicyHTTPStatus.Code}, policyChecked: true},
		{name: "mx not covered enforce", zone: goodZone, route: &route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: mx1.example.test", "max_age: 604800")},
			status: finding.StatusFail, want: []string{FindMXNotCovered.Code}, policyChecked: true},
		{name: "mx not covered testing", zone: goodZone, route: &route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: testing", "mx: mx1.example.test", "max_age: 604800")},
			status: finding.StatusWarn, want: []string{FindMXNotCovered.Code, FindModeTesting.Code}, policyChecked: true},
		{name: "unused pattern", zone: goodZone, route: &route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: mx1.example.test", "mx: mx2.example.test", "mx: old.example.net", "max_age: 604800")},
			status: finding.StatusWarn, want: []string{FindMXPatternUnused.Code}, policyChecked: true},
		{name: "short max_age", zone: goodZone, route: &route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: *.example.test", "max_age: 3600")},
			status: finding.StatusWarn, want: []string{FindPolicyMaxAgeShort.Code}, policyChecked: true},
		{name: "mode none", zone: goodZone, route: &route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: none", "max_age: 86400")},
			status: finding.StatusPass, want: []string{FindModeNone.Code}, policyChecked: true},
		{name: "invalid policy", zone: goodZone, route: &route{contentType: "text/plain", body: "garbage"},
			status: finding.StatusFail, want: []string{FindPolicySyntax.Code, FindPolicyBadMode.Code}, policyChecked: true},
		{name: "mx hosts given", zone: strings.Replace(goodZone, "MX 20 mx2.example.test.", "MX 20 mx9.example.test.", 1), mx: []string{"MX1.example.test.", "mx2.example.test"},
			route: &route{contentType: "text/plain", body: enforce}, status: finding.StatusPass, policyChecked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := dnstest.NewFake(tt.zone)
			if tt.setup != nil {
				tt.setup(f)
			}
			client := ps.client()
			switch {
			case tt.offline:
				client = nil
			case tt.unreachable:
				client = unreachableClient()
			}
			if tt.route != nil {
				ps.set("mta-sts.example.test", *tt.route)
			}
			res := Check(context.Background(), f, client, "example.test", tt.mx, fixed)
			if res.Status != tt.status {
				t.Errorf("status = %s, want %s; findings %v", res.Status, tt.status, res.Findings)
			}
			for _, c := range tt.want {
				if has(res, c) == nil {
					t.Errorf("finding %s missing; got %v", c, codes(res))
				}
			}
			for _, c := range tt.not {
				if has(res, c) != nil {
					t.Errorf("unexpected finding %s", c)
				}
			}
			if res.PolicyChecked != tt.policyChecked {
				t.Errorf("policy_checked = %v, want %v", res.PolicyChecked, tt.policyChecked)
			}
			if !res.PolicyChecked && res.PolicyValid {
				t.Error("policy_valid without policy_checked")
			}
			if res.Status == finding.StatusError && res.Error == "" {
				t.Error("status error without an error message")
			}
			for _, fd := range res.Findings {
				if !catalog.Has(fd.Code) {
					t.Errorf("finding %s not in the catalogue", fd.Code)
				}
				if fd.Severity > finding.Info && fd.Fix == "" {
					t.Errorf("finding %s (%s) has no fix", fd.Code, fd.Message)
				}
			}
		})
	}
}

func TestCheckFixes(t *testing.T) {
	f := dnstest.NewFake("example.test. 300 IN MX 10 mx1.example.test.\nexample.test. 300 IN MX 20 mx2.example.test.\n")
	res := Check(context.Background(), f, nil, "example.test", nil, fixed)
	fd := has(res, FindNoRecord.Code)
	if fd == nil {
		t.Fatalf("no %s: %v", FindNoRecord.Code, res.Findings)
	}
	for _, want := range []string{
		`_mta-sts.example.test. TXT "v=STSv1; id=20261123T120000"`,
		"https://mta-sts.example.test/.well-known/mta-sts.txt",
		"version: STSv1\nmode: testing\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 604800",
	} {
		if !strings.Contains(fd.Fix, want) {
			t.Errorf("fix %q lacks %q", fd.Fix, want)
		}
	}

	ps := newPolicyServer(t)
	ps.set("mta-sts.example.test", route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: mx1.example.test", "mx: old.example.net", "max_age: 1209600")})
	f = dnstest.NewFake(goodZone)
	res = Check(context.Background(), f, ps.client(), "example.test", nil, fixed)
	fd = has(res, FindMXNotCovered.Code)
	if fd == nil {
		t.Fatalf("no %s: %v", FindMXNotCovered.Code, res.Findings)
	}
	if want := "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 1209600"; !strings.Contains(fd.Fix, want) {
		t.Errorf("fix %q lacks the corrected policy %q", fd.Fix, want)
	}
	if !strings.Contains(fd.Fix, "id=20261123T120000") {
		t.Errorf("fix %q does not say to change the id", fd.Fix)
	}
	if fd.Name != "mx2.example.test" {
		t.Errorf("finding name = %q", fd.Name)
	}
}

func TestCheckInvalidDomain(t *testing.T) {
	for _, d := range []string{"", ".good.test", "a..b", strings.Repeat("a", 64) + ".test"} {
		res := Check(context.Background(), dnstest.NewFake(), nil, d, nil, fixed)
		if res.Status != finding.StatusError || has(res, FindInvalidDomain.Code) == nil || res.Error == "" {
			t.Errorf("%q: status %s, findings %v", d, res.Status, res.Findings)
		}
	}
}

func TestCheckCertificateExpiring(t *testing.T) {
	ps := newPolicyServer(t)
	ps.set("mta-sts.example.test", route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: *.example.test", "max_age: 604800")})
	ps.setCert("mta-sts.example.test", ps.ca.issue(t, []string{"mta-sts.example.test"}, time.Now().Add(-time.Hour), time.Now().Add(5*24*time.Hour)))
	res := Check(context.Background(), dnstest.NewFake(goodZone), ps.client(), "example.test", nil, Options{})
	if res.Status != finding.StatusWarn || has(res, FindPolicyCertificateSoon.Code) == nil {
		t.Errorf("status %s, findings %v", res.Status, res.Findings)
	}
}

func TestCheckJSON(t *testing.T) {
	res := Check(context.Background(), dnstest.NewFake(goodZone), nil, "example.test", nil, fixed)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"domain", "status", "record_name", "records", "record", "record_valid", "policy_url", "policy_checked", "policy_not_checked", "policy_valid", "mx_hosts", "mx", "findings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if m["policy_checked"] != false || m["status"] != "warn" {
		t.Errorf("offline JSON: %s", b)
	}
	empty, _ := json.Marshal(Check(context.Background(), dnstest.NewFake("example.test. 300 IN A 192.0.2.1\n"), nil, "example.test", nil, fixed))
	if strings.Contains(string(empty), ":null") {
		t.Errorf("JSON has a null: %s", empty)
	}
}

func TestFindingsCatalogue(t *testing.T) {
	specs := Findings()
	if len(specs) < 30 {
		t.Errorf("only %d specs", len(specs))
	}
	for _, s := range specs {
		if !strings.HasPrefix(s.Code, "mta-sts.") {
			t.Errorf("code %s lacks the mta-sts. prefix", s.Code)
		}
	}
}

func TestCheckOfflineHostLookupFails(t *testing.T) {
	f := dnstest.NewFake(goodZone)
	f.Timeout("mta-sts.example.test", 0)
	res := Check(context.Background(), f, nil, "example.test", nil, fixed)
	if res.Status != finding.StatusWarn || has(res, FindDNSError.Code) != nil || has(res, FindPolicyNotChecked.Code) == nil {
		t.Errorf("status %s findings %v", res.Status, res.Findings)
	}
	res = Check(context.Background(), f, unreachableClient(), "example.test", nil, fixed)
	if res.Status != finding.StatusError || has(res, FindDNSError.Code) == nil {
		t.Errorf("online: status %s findings %v", res.Status, res.Findings)
	}
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
	if want := []string{"mta-sts.dns-error", "mta-sts.policy-unreachable"}; !slices.Equal(got, want) {
		t.Errorf("transient findings %v, want %v", got, want)
	}
}
