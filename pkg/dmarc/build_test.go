package dmarc

import (
	"context"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func TestZoneLine(t *testing.T) {
	for _, tc := range []struct {
		owner string
		ttl   uint32
		value string
		want  string
	}{
		{"_dmarc.example.com.", 3600, "v=DMARC1; p=reject", `_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject"`},
		{"_dmarc", 300, "v=DMARC1; p=none", `_dmarc 300 IN TXT "v=DMARC1; p=none"`},
		{"x.", 60, `a"b\c`, `x. 60 IN TXT "a\"b\\c"`},
		// Control characters as \DDD: a zone file line stays one line and
		// no terminal acts on it.
		{"x.", 60, "a\x1b[2J\nb\x7f", `x. 60 IN TXT "a\027[2J\010b\127"`},
		{"x.", 1, strings.Repeat("a", 256), `x. 1 IN TXT "` + strings.Repeat("a", 255) + `" "a"`},
	} {
		if got := ZoneLine(tc.owner, tc.ttl, tc.value); got != tc.want {
			t.Errorf("ZoneLine(%q, %d, %q) = %s, want %s", tc.owner, tc.ttl, tc.value, got, tc.want)
		}
	}
}

func TestBuildTTL(t *testing.T) {
	res, err := Build(BuildOptions{Domain: "example.com", Policy: "reject", RUA: []string{"r@vendor.example.net"}, TTL: 300})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.ZoneLine, "_dmarc.example.com. 300 IN TXT ") || !strings.HasPrefix(res.Authorizations[0].ZoneLine, "example.com._report._dmarc.vendor.example.net. 300 IN TXT ") {
		t.Errorf("ttl 300: %s / %s", res.ZoneLine, res.Authorizations[0].ZoneLine)
	}
	if res.Domain != "example.com" {
		t.Errorf("domain %q", res.Domain)
	}
	res, err = Build(BuildOptions{Policy: "reject"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ZoneLine != `_dmarc 3600 IN TXT "v=DMARC1; p=reject"` || res.Domain != "" {
		t.Errorf("default ttl: %s (%q)", res.ZoneLine, res.Domain)
	}
}

func TestBuildCheckDestinations(t *testing.T) {
	zone := `example.com. MX 10 mx.example.com.
vendor.example. MX 10 mx.vendor.example.
authorized.example. MX 10 mx.vendor.example.
example.com._report._dmarc.authorized.example. TXT "v=DMARC1"
nomail.example. MX 0 .
flaky.example. MX 10 mx.vendor.example.
_dmarc.bank.example. TXT "v=DMARC1; p=reject; psd=y"
giant.bank.example. MX 10 mx.vendor.example.
mega.bank.example. MX 10 mx.vendor.example.
`
	for _, tc := range []struct {
		name   string
		domain string
		rua    []string
		status finding.Status
		codes  string
		auth   string // Status of each Authorization, comma-separated
	}{
		{"same organization", "example.com", []string{"dmarc@example.com"}, finding.StatusPass, "", ""},
		{"authorized", "example.com", []string{"r@authorized.example"}, finding.StatusPass, "", AuthAuthorized},
		{"unauthorized", "example.com", []string{"dmarc@example.com", "r@vendor.example"}, finding.StatusFail, "dmarc.unauthorized-destination", AuthMissing},
		{"cannot receive", "example.com", []string{"r@nomail.example"}, finding.StatusFail, "dmarc.unauthorized-destination dmarc.destination-cannot-receive", AuthMissing},
		{"servfail", "example.com", []string{"r@flaky.example"}, finding.StatusError, "dmarc.destination-unverified", AuthTempError},
		// psd=y at bank.example: giant and mega are distinct organizations
		// by the tree walk, one organization by the Public Suffix List. The
		// authorization record is needed all the same.
		{"psd boundary", "giant.bank.example", []string{"r@mega.bank.example"}, finding.StatusFail, "dmarc.unauthorized-destination", AuthMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := dnstest.NewFake(zone)
			fake.ServFail("example.com._report._dmarc.flaky.example", 0)
			res, err := Build(BuildOptions{Domain: tc.domain, Policy: "reject", RUA: tc.rua})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status() != finding.StatusPass || len(res.Findings) != 0 {
				t.Errorf("before the check: %s %v", res.Status(), res.Findings)
			}
			res.CheckDestinations(context.Background(), fake)
			var codes, auth []string
			for _, f := range res.Findings {
				codes = append(codes, f.Code)
			}
			for _, a := range res.Authorizations {
				auth = append(auth, a.Status)
			}
			if got := res.Status(); got != tc.status || strings.Join(codes, " ") != tc.codes || strings.Join(auth, ",") != tc.auth {
				t.Errorf("status %s, codes %v, authorizations %v; want %s, %s, %s", got, codes, auth, tc.status, tc.codes, tc.auth)
			}
			if len(res.Destinations) != len(tc.rua) {
				t.Errorf("destinations %+v", res.Destinations)
			}
			if tc.status == finding.StatusError && !res.Incomplete {
				t.Errorf("a DNS failure must leave the result incomplete")
			}
		})
	}
	// Without a domain nothing is asked.
	fake := dnstest.NewFake()
	res, err := Build(BuildOptions{Policy: "reject", RUA: []string{"r@vendor.example"}})
	if err != nil {
		t.Fatal(err)
	}
	res.CheckDestinations(context.Background(), fake)
	if len(fake.Asked()) != 0 || res.Status() != finding.StatusPass {
		t.Errorf("no domain: asked %v, status %s", fake.Asked(), res.Status())
	}
}

func TestEvalStatus(t *testing.T) {
	for result, want := range map[string]finding.Status{
		ResultPass:      finding.StatusPass,
		ResultFail:      finding.StatusFail,
		ResultPermError: finding.StatusFail,
		ResultTempError: finding.StatusError,
		ResultNone:      finding.StatusSkip,
		"":              finding.StatusError,
	} {
		if got := (&EvalResult{Result: result}).Status(); got != want {
			t.Errorf("%q: %s, want %s", result, got, want)
		}
	}
}
