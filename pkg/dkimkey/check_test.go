package dkimkey

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// testKeys holds the records of the keys under testdata/keys.
type testKeys struct {
	rsa2048, rsa1024, rsa512, ed, pkcs1 string // record values
	priv2048, priv1024, privEd          any
}

func loadTestKeys(t testing.TB) testKeys {
	t.Helper()
	var k testKeys
	rec := func(file string) (string, any) {
		key, err := ParsePrivateKey(readKey(t, file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRecord(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		return r.String(), key.Public()
	}
	k.rsa2048, k.priv2048 = rec("rsa2048.pem")
	k.rsa1024, k.priv1024 = rec("rsa1024.pem")
	k.ed, k.privEd = rec("ed25519.pem")
	b, err := os.ReadFile(filepath.Join(keysDir, "rsa512-public.b64"))
	if err != nil {
		t.Fatal(err)
	}
	k.rsa512 = "v=DKIM1; k=rsa; p=" + strings.TrimSpace(string(b))
	k.pkcs1 = "v=DKIM1; k=rsa; p=" + b64(x509.MarshalPKCS1PublicKey(k.priv1024.(*rsa.PublicKey)))
	return k
}

// txt writes a TXT record line for the fake, splitting the value into
// strings of at most 255 octets.
func txt(name, value string) string { return ZoneLine(name, value, 300) }

func codes(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return out
}

func TestCheckSelectors(t *testing.T) {
	k := loadTestKeys(t)
	p2048 := strings.TrimPrefix(k.rsa2048, "v=DKIM1; k=rsa; p=")
	fake := dnstest.NewFake(
		txt("good._domainkey.example.com", k.rsa2048),
		txt("ed._domainkey.example.com", k.ed),
		txt("weak._domainkey.example.com", k.rsa1024),
		txt("short._domainkey.example.com", k.rsa512),
		txt("testing._domainkey.example.com", "v=DKIM1; t=y; p="+p2048),
		txt("sha1._domainkey.example.com", "v=DKIM1; h=sha1; p="+p2048),
		txt("md5._domainkey.example.com", "v=DKIM1; h=md5; p="+p2048),
		txt("tlsrpt._domainkey.example.com", "v=DKIM1; s=tlsrpt; p="+p2048),
		txt("revoked._domainkey.example.com", "v=DKIM1; k=rsa; p="),
		txt("upper._domainkey.example.com", "v=DKIM1; g=*; T=y; p="+p2048),
		txt("gran._domainkey.example.com", "v=DKIM1; g=jl*g; p="+p2048),
		txt("pkcs1._domainkey.example.com", k.pkcs1),
		txt("two._domainkey.example.com", k.rsa2048),
		txt("two._domainkey.example.com", "google-site-verification=abc"),
		txt("spf._domainkey.example.com", "v=spf1 -all"),
		txt("syntax._domainkey.example.com", "v=DKIM1; k=rsa; t; p="+p2048),
		txt("version._domainkey.example.com", "k=rsa; v=DKIM1; p="+p2048),
		txt("keytype._domainkey.example.com", "v=DKIM1; k=dsa; p="+p2048),
		txt("nokey._domainkey.example.com", "v=DKIM1; k=rsa; P="+p2048),
		txt("badkey._domainkey.example.com", "v=DKIM1; k=rsa; p="+p2048[:100]),
		txt("edspki._domainkey.example.com", "v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE="),
		"alias._domainkey.example.com. 300 IN CNAME s1.example-com._domainkey.example.net.",
		txt("s1.example-com._domainkey.example.net", k.rsa2048),
		"dangling._domainkey.example.com. 300 IN CNAME gone.example.net.",
		"nodata._domainkey.example.com. 300 IN A 192.0.2.1",
		// The pieces published as separate records.
		txt("pieces._domainkey.example.com", k.rsa2048[:200]),
		txt("pieces._domainkey.example.com", k.rsa2048[200:]),
	)
	// pkg/dns keeps TXT strings as sent (unescaped); AddTXT stores them so.
	// A value typed with zone-file quotes into a control panel.
	fake.AddTXT("quoted._domainkey.example.com", `v=DKIM1; k=rsa; p=`+p2048[:200]+`" "`+p2048[200:])
	fake.AddTXT("spaced._domainkey.example.com", "v=DKIM1; k=rsa; p="+p2048[:150]+" ", p2048[150:])
	fake.AddTXT("cutspace._domainkey.example.com", "v=DKIM1; k=r", " sa; p="+p2048)
	fake.AddTXT("escaped._domainkey.example.com", `v=DKIM1\; k=rsa\; p=`+p2048)
	fake.ServFail("fail._domainkey.example.com", 0)
	tests := []struct {
		sel    string
		status finding.Status
		codes  []string
	}{
		{"good", finding.StatusPass, nil},
		{"ed", finding.StatusPass, nil},
		{"weak", finding.StatusWarn, []string{"dkim.key-weak-1024"}},
		{"short", finding.StatusFail, []string{"dkim.key-too-short"}},
		{"testing", finding.StatusWarn, []string{"dkim.testing"}},
		{"sha1", finding.StatusWarn, []string{"dkim.sha1-only"}},
		{"md5", finding.StatusFail, []string{"dkim.unknown-hash"}},
		{"tlsrpt", finding.StatusWarn, []string{"dkim.not-for-email"}},
		{"revoked", finding.StatusPass, []string{"dkim.revoked"}},
		{"upper", finding.StatusWarn, []string{"dkim.ignored-tag"}},
		{"gran", finding.StatusWarn, []string{"dkim.obsolete-granularity"}},
		{"pkcs1", finding.StatusWarn, []string{"dkim.key-weak-1024", "dkim.pkcs1-key"}},
		{"two", finding.StatusFail, []string{"dkim.multiple-records"}},
		{"spf", finding.StatusFail, []string{"dkim.malformed"}},
		{"syntax", finding.StatusFail, []string{"dkim.malformed"}},
		{"version", finding.StatusFail, []string{"dkim.bad-version"}},
		{"keytype", finding.StatusFail, []string{"dkim.unknown-key-type"}},
		{"nokey", finding.StatusFail, []string{"dkim.no-key"}},
		{"badkey", finding.StatusFail, []string{"dkim.bad-key"}},
		{"edspki", finding.StatusFail, []string{"dkim.bad-key"}},
		{"alias", finding.StatusPass, []string{"dkim.cname"}},
		{"dangling", finding.StatusFail, []string{"dkim.cname", "dkim.no-record"}},
		{"missing", finding.StatusFail, []string{"dkim.no-record"}},
		{"nodata", finding.StatusFail, []string{"dkim.no-record"}},
		{"quoted", finding.StatusFail, []string{"dkim.bad-split"}},
		{"pieces", finding.StatusFail, []string{"dkim.split-across-records"}},
		{"spaced", finding.StatusWarn, []string{"dkim.split-whitespace"}},
		{"escaped", finding.StatusFail, []string{"dkim.malformed"}},
		{"cutspace", finding.StatusFail, []string{"dkim.bad-split"}},
		{"fail", finding.StatusError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			res := CheckSelector(context.Background(), fake, "example.com", tt.sel, nil, false)
			if res.Status != tt.status || !slices.Equal(codes(res.Findings), tt.codes) {
				t.Errorf("status %s %v, want %s %v", res.Status, codes(res.Findings), tt.status, tt.codes)
				for _, f := range res.Findings {
					t.Logf("  %s: %s\n    fix: %s", f.Code, f.Message, f.Fix)
				}
			}
			if res.Revoked != (tt.sel == "revoked") {
				t.Errorf("revoked = %v", res.Revoked)
			}
			for _, f := range res.Findings {
				if f.Severity > finding.Info && f.Fix == "" {
					t.Errorf("%s has no fix", f.Code)
				}
				if !catalog.Has(f.Code) {
					t.Errorf("%s is not in the catalogue", f.Code)
				}
			}
		})
	}
	// Details of some findings.
	res := CheckSelector(context.Background(), fake, "example.com", "pieces", nil, false)
	if fx := res.Findings[0].Fix; !strings.Contains(fx, `IN TXT "v=DKIM1; k=rsa; p=`) || res.Record == nil || res.KeyBits != 2048 {
		t.Errorf("pieces: fix %q, record %v", fx, res.Record)
	}
	res = CheckSelector(context.Background(), fake, "example.com", "quoted", nil, false)
	if fx := res.Findings[0].Fix; !strings.Contains(fx, k.rsa2048[:40]) {
		t.Errorf("quoted: the fix does not give the repaired value: %q", fx)
	}
	res = CheckSelector(context.Background(), fake, "example.com", "spaced", nil, false)
	if m := res.Findings[0].Message; !strings.Contains(m, "between strings 1 and 2") {
		t.Errorf("spaced: %q", m)
	}
	res = CheckSelector(context.Background(), fake, "example.com", "nokey", nil, false)
	if m := res.Findings[0].Message; !strings.Contains(m, `"P="`) {
		t.Errorf("nokey: %q", m)
	}
	res = CheckSelector(context.Background(), fake, "example.com", "escaped", nil, false)
	if m := res.Findings[0].Message; !strings.Contains(m, `\;`) || !strings.Contains(res.Findings[0].Fix, `"v=DKIM1; k=rsa; p=`) {
		t.Errorf("escaped: %q / %q", m, res.Findings[0].Fix)
	}
	res = CheckSelector(context.Background(), fake, "example.com", "alias", nil, false)
	if !slices.Equal(res.CNAMEs, []string{"s1.example-com._domainkey.example.net"}) {
		t.Errorf("alias: cnames %v", res.CNAMEs)
	}
}

func TestCheckPrivateKey(t *testing.T) {
	k := loadTestKeys(t)
	fake := dnstest.NewFake(
		txt("a._domainkey.example.com", k.rsa2048),
		txt("b._domainkey.example.com", k.rsa1024),
		txt("r._domainkey.example.com", "v=DKIM1; p="),
	)
	ctx := context.Background()
	res, err := Check(ctx, fake, "example.com", []string{"a"}, CheckOptions{PublicKey: k.priv2048})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Selectors[0]; s.KeyMatches == nil || !*s.KeyMatches || res.Status != finding.StatusPass {
		t.Errorf("matching key: %+v", s)
	}
	res, _ = Check(ctx, fake, "example.com", []string{"b"}, CheckOptions{PublicKey: k.priv2048})
	if s := res.Selectors[0]; s.KeyMatches == nil || *s.KeyMatches || res.Status != finding.StatusFail || !slices.Contains(codes(s.Findings), "dkim.key-mismatch") {
		t.Errorf("other key: %+v", s)
	} else if f := s.Findings[0]; !strings.Contains(f.Fix, k.rsa2048[:50]) || !strings.Contains(f.Message, "1024") {
		t.Errorf("mismatch finding: %+v", f)
	}
	res, _ = Check(ctx, fake, "example.com", []string{"r"}, CheckOptions{PublicKey: k.privEd})
	if s := res.Selectors[0]; s.KeyMatches == nil || *s.KeyMatches || !strings.Contains(s.Findings[0].Message, "revoked") {
		t.Errorf("revoked: %+v", s)
	}
	// With several selectors, one match is enough.
	res, _ = Check(ctx, fake, "example.com", []string{"a", "b"}, CheckOptions{PublicKey: k.priv2048})
	var mm *finding.Finding
	for i, f := range res.Selectors[1].Findings {
		if f.Code == "dkim.key-mismatch" {
			mm = &res.Selectors[1].Findings[i]
		}
	}
	if res.Status != finding.StatusWarn || mm == nil || mm.Severity != finding.Info {
		t.Errorf("two selectors: %s %+v", res.Status, res.Findings)
	}
}

// A domain whose every checked key is revoked has no working key: a
// failure, while a revoked selector beside a working one is a retired
// selector, not a problem.
func TestCheckAllRevoked(t *testing.T) {
	k := loadTestKeys(t)
	fake := dnstest.NewFake(
		txt("a._domainkey.example.com", k.rsa2048),
		txt("old._domainkey.example.com", "v=DKIM1; p="),
		txt("older._domainkey.example.com", "v=DKIM1; k=rsa; p="),
	)
	ctx := context.Background()
	for _, tt := range []struct {
		sels   []string
		status finding.Status
		all    bool
	}{
		{[]string{"old"}, finding.StatusFail, true},
		{[]string{"old", "older"}, finding.StatusFail, true},
		{[]string{"a", "old"}, finding.StatusPass, false},
		{[]string{"a"}, finding.StatusPass, false},
	} {
		res, err := Check(ctx, fake, "example.com", tt.sels, CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var all *finding.Finding
		for i, f := range res.Findings {
			if f.Code == FindAllRevoked.Code {
				all = &res.Findings[i]
			}
		}
		if res.Status != tt.status || (all != nil) != tt.all {
			t.Errorf("%v: status %s, findings %v", tt.sels, res.Status, codes(res.Findings))
			continue
		}
		for _, s := range res.Selectors {
			if s.Revoked != (s.Selector != "a") || s.Status != finding.StatusPass {
				t.Errorf("%v: selector %s revoked %v status %s", tt.sels, s.Selector, s.Revoked, s.Status)
			}
		}
		if all != nil && (!strings.Contains(all.Message, strings.Join(tt.sels, ", ")) || !strings.Contains(all.Fix, "emailauth dkim keygen example.com")) {
			t.Errorf("%v: finding %+v", tt.sels, *all)
		}
	}
	// A probed selector with nothing there is skipped, not failed.
	if res := CheckSelector(ctx, fake, "example.com", "nothing", nil, true); res.Status != finding.StatusSkip || len(res.Findings) != 0 {
		t.Errorf("probe of an empty selector: %s %v", res.Status, codes(res.Findings))
	}
}

func TestCheckDomain(t *testing.T) {
	k := loadTestKeys(t)
	fake := dnstest.NewFake(
		txt("selector1._domainkey.example.com", k.rsa2048),
		txt("google._domainkey.example.com", k.rsa1024),
		"s1._domainkey.example.com. 300 IN CNAME s1.example-com._domainkey.example.net.",
		txt("s1.example-com._domainkey.example.net", k.ed),
		txt("custom._domainkey.example.com", k.rsa2048),
		// A wildcard TXT record does not make every selector "found".
		txt("*._domainkey.example.org", "v=spf1 -all"),
		txt("ed._domainkey.example.net", k.ed),
	)
	ctx := context.Background()
	res, err := Check(ctx, fake, "Example.COM.", nil, CheckOptions{ExtraSelectors: []string{"custom", "Google", "bad selector"}})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, s := range res.Selectors {
		found = append(found, s.Selector)
	}
	sort.Strings(found)
	if !res.Discovered || res.Domain != "example.com" || !slices.Equal(found, []string{"custom", "google", "s1", "selector1"}) {
		t.Errorf("discovered %v (%v)", found, res.Discovered)
	}
	if len(res.Probed) != len(DefaultSelectors)+1 || res.Note == "" {
		t.Errorf("probed %d", len(res.Probed))
	}
	if res.Status != finding.StatusWarn {
		t.Errorf("status %s: %v", res.Status, codes(res.Findings))
	}
	for _, f := range res.Findings {
		if f.Name == "" {
			t.Errorf("domain-level finding %s", f.Code)
		}
	}
	// Nothing found.
	res, _ = Check(ctx, fake, "example.org", nil, CheckOptions{})
	if len(res.Selectors) != 0 || !slices.Equal(codes(res.Findings), []string{"dkim.none-found"}) || res.Status != finding.StatusWarn {
		t.Errorf("example.org: %v %v", res.Selectors, codes(res.Findings))
	}
	// Only Ed25519.
	res, _ = Check(ctx, fake, "example.net", []string{"ed"}, CheckOptions{})
	if !slices.Equal(codes(res.Findings), []string{"dkim.ed25519-only"}) || res.Status != finding.StatusPass {
		t.Errorf("example.net: %v", codes(res.Findings))
	}
	// DNS failures make the result incomplete, not failed.
	fake.Timeout("down._domainkey.example.com", 0)
	res, _ = Check(ctx, fake, "example.com", []string{"selector1", "down"}, CheckOptions{})
	if !res.Incomplete || res.Status != finding.StatusError || res.Selectors[1].Error == "" {
		t.Errorf("timeout: %+v", res)
	}
	// Bad input.
	for _, sel := range []string{"a b", "s1._domainkey.example.com", "", "a..b", strings.Repeat("x", 64)} {
		if _, err := Check(ctx, fake, "example.com", []string{sel, "x"}, CheckOptions{}); err == nil && sel != "" {
			t.Errorf("selector %q accepted", sel)
		}
	}
	if _, err := Check(ctx, fake, "exa mple.com", nil, CheckOptions{}); err == nil {
		t.Error("bad domain accepted")
	}
	// The JSON is snake_case and never null for lists.
	res, _ = Check(ctx, fake, "example.com", []string{"selector1"}, CheckOptions{})
	b, _ := json.Marshal(res)
	for _, want := range []string{`"selectors":[`, `"key_bits":2048`, `"key_type":"rsa"`, `"findings":[]`, `"records":["v=DKIM1`, `"strings":[["v=DKIM1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
}

func TestDiscoverConcurrent(t *testing.T) {
	k := loadTestKeys(t)
	fake := dnstest.NewFake(txt("k2._domainkey.example.com", k.rsa2048))
	d, err := Discover(context.Background(), fake, "example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Found, []string{"k2"}) || len(fake.Asked()) != len(DefaultSelectors) {
		t.Errorf("found %v after %d questions", d.Found, len(fake.Asked()))
	}
	for _, s := range []string{"default", "selector1", "selector2", "google", "k1", "k2", "k3", "s1", "s2", "mail", "dkim", "mailu"} {
		if !slices.Contains(DefaultSelectors, s) {
			t.Errorf("DefaultSelectors lacks %s", s)
		}
	}
	if len(dedupe(DefaultSelectors)) != len(DefaultSelectors) {
		t.Error("DefaultSelectors has duplicates")
	}
}

func TestFindingsCatalogue(t *testing.T) {
	for _, s := range Findings() {
		if !strings.HasPrefix(s.Code, "dkim.") {
			t.Errorf("%s is not a dkim.* code", s.Code)
		}
	}
	if len(Findings()) < 20 {
		t.Errorf("%d findings", len(Findings()))
	}
}

var _ dns.Resolver = (*dnstest.Fake)(nil)

// TestTransientFindings pins the findings that mean "could not find out"
// (finding.Judge makes a result with one error, never fail).
func TestTransientFindings(t *testing.T) {
	var got []string
	for _, s := range Findings() {
		if s.Transient {
			got = append(got, s.Code)
		}
	}
	if want := []string{}; !slices.Equal(got, want) {
		t.Errorf("transient findings %v, want %v", got, want)
	}
}

// TestSelectorCNAMEChainAndOffline: a selector whose CNAME chain loops is a
// definite failure (not an outage); offline, a selector delegated to a zone
// no file covers is "not checked", never missing.
func TestSelectorCNAMEChainAndOffline(t *testing.T) {
	loop := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeServFail, CNAMEs: []string{"a.example.net", "b.example.net"}},
			&dns.Error{Name: name, Type: qtype, RCode: dns.RcodeServFail, Err: dns.ErrCNAMELoop}
	})
	res := CheckSelector(context.Background(), loop, "example.com", "s1", nil, false)
	if res.Status != finding.StatusFail || len(res.Findings) == 0 || res.Findings[0].Code != FindCNAMEChain.Code {
		t.Errorf("loop: %s %+v", res.Status, res.Findings)
	}
	offline := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain, CNAMEs: []string{"s1.example-com._domainkey.provider.example"}, NotCovered: true}, nil
	})
	res = CheckSelector(context.Background(), offline, "example.com", "s1", nil, false)
	if res.Status != finding.StatusPass || len(res.Findings) != 1 || res.Findings[0].Code != FindNotCheckedOffline.Code ||
		!strings.Contains(res.Findings[0].Message, "provider.example") {
		t.Errorf("offline: %s %+v", res.Status, res.Findings)
	}
	// A probed (guessed) selector outside the zones is simply not there.
	if res := CheckSelector(context.Background(), dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain, NotCovered: true}, nil
	}), "example.com", "s1", nil, true); res.Status != finding.StatusSkip {
		t.Errorf("probed offline: %s", res.Status)
	}
}
