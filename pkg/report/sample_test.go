package report

import (
	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// sampleReport is a fixed report with every status, long fixes, and text
// that needs escaping in some format: | % " < & ` newlines, a leading = and
// a terminal escape.
func sampleReport() *check.Report {
	pass := func(name string, records ...string) *check.CheckResult {
		return &check.CheckResult{Check: name, Status: check.StatusPass, Records: records}
	}
	skip := func(name, why string) *check.CheckResult {
		return &check.CheckResult{Check: name, Status: check.StatusSkip, Error: why}
	}
	domains := []*check.DomainResult{
		{
			Domain: "ok.example",
			Checks: []*check.CheckResult{
				pass("mx", "10 mx1.ok.example.", "20 mx2.ok.example."),
				{Check: "spf", Status: check.StatusPass, Records: []string{"v=spf1 mx -all"},
					Findings: finding.List{{Code: "spf.soft-fail-all", Severity: finding.Info,
						Message: "the record ends in -all; nothing to change"}},
					Details: map[string]any{"lookups": 1}},
				pass("dkim", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
				pass("dmarc", "v=DMARC1; p=reject; rua=mailto:dmarc@ok.example"),
				skip("mta-sts", "not selected"),
				skip("bimi", "not selected"),
			},
		},
		{
			Domain: "warn.example",
			Checks: []*check.CheckResult{
				pass("mx", "0 ."),
				{Check: "dmarc", Status: check.StatusWarn, Records: []string{"v=DMARC1; p=none"},
					Findings: finding.List{{Code: "dmarc.policy-none", Severity: finding.Warning,
						Message: "the policy is p=none: receivers deliver mail that fails DMARC as if it passed",
						Fix:     "once the aggregate reports show all your mail passing, publish a TXT record at _dmarc.warn.example:\nv=DMARC1; p=quarantine; rua=mailto:dmarc-reports@warn.example; ruf=mailto:dmarc-forensic@warn.example; fo=1; adkim=s; aspf=s",
						Name:    "_dmarc.warn.example"}}},
			},
		},
		{
			Domain: "fail.example",
			Error:  "",
			Checks: []*check.CheckResult{
				{Check: "spf", Status: check.StatusFail,
					Records: []string{"v=spf1 include:_spf.a.example include:_spf.b.example include:_spf.c.example include:_spf.d.example ~all"},
					Findings: finding.List{
						{Code: "spf.lookup-limit", Severity: finding.Error,
							Message: "the record needs 12 DNS lookups; the limit is 10 (RFC 7208 section 4.6.4)",
							Fix:     "remove the includes you no longer use, or replace include:_spf.d.example with the ip4: and ip6: ranges it lists, then publish at fail.example: \"v=spf1 include:_spf.a.example include:_spf.b.example ip4:192.0.2.0/24 ~all\""},
						{Code: "spf.weird-chars", Severity: finding.Warning,
							Message: "a | pipe, 100% sure, \"quotes\", <tag> & `code` ```fence``` and\na second line",
							Fix:     "=HYPERLINK(\"http://evil.example\") and a line\n```\nwith a fence"},
					}},
				{Check: "dkim", Status: check.StatusFail, Records: nil,
					Findings: finding.List{{Code: "dkim.key-too-short", Severity: finding.Error,
						Message: "the key of selector s1 is 1024 bits; use at least 2048",
						Fix:     "generate a 2048-bit key: emailauth dkim keygen --selector s2 fail.example",
						Name:    "s1._domainkey.fail.example"}}},
				{Check: "mta-sts", Status: check.StatusError, Error: "lookup _mta-sts.fail.example TXT: timeout after 3 tries"},
				{Check: "dnssec", Status: check.StatusSkip, Error: "the resolver does not validate"},
				{Check: "bimi", Status: check.StatusPass, Records: []string{"v=BIMI1; l=https://fail.example/logo.svg\x1b]0;pwned\x07"}},
			},
		},
		{
			Domain: "servfail.example",
			Checks: []*check.CheckResult{
				{Check: "mx", Status: check.StatusError, Error: "lookup servfail.example MX: SERVFAIL"},
				{Check: "spf", Status: check.StatusError, Error: "lookup servfail.example TXT: SERVFAIL"},
			},
		},
		{
			Domain: "bad..example",
			Status: check.StatusError,
			Error:  `check: "bad..example" is not a valid domain name: empty label`,
		},
	}
	r := &check.Report{Schema: check.Schema}
	for _, d := range domains {
		if len(d.Checks) > 0 {
			d.Status = check.DomainStatus(d.Checks)
		}
		r.Domains = append(r.Domains, d)
		check.Count(&r.Summary, d)
	}
	return r
}
