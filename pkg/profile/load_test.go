package profile

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var knownCodes = []string{"dmarc.policy-none", "bimi.no-record", "mta-sts.policy-not-checked", "profile.dmarc-policy", "profile.bimi", "spf.lookup-limit"}

func TestLoadPenguinmails(t *testing.T) {
	p, err := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "penguinmails" || strings.Join(p.SPF.Include, ",") != "_spf.penguinmails.com" || p.SPF.All != "-all" || p.SPF.LookupBudget != 5 {
		t.Errorf("spf %+v", p.SPF)
	}
	if len(p.DKIM.Selectors) != 1 || p.DKIM.Selectors[0].Selector != "mailu" || p.DKIM.MinBits != 2048 {
		t.Errorf("dkim %+v", p.DKIM)
	}
	if p.DMARC.Policy != "quarantine" || strings.Join(p.DMARC.RUA, ",") != "mailto:dmarc@penguinmails.com" ||
		strings.Join(p.DMARC.Generate.RUF, ",") != "mailto:security@penguinmails.com" || p.DMARC.Generate.FO != "1" {
		t.Errorf("dmarc %+v", p.DMARC)
	}
	if p.MTA == nil || p.MTA.Level != Advisory || p.TLS == nil || p.TLS.Level != Advisory || p.BIMI == nil || p.BIMI.Level != Advisory || p.MX != nil {
		t.Errorf("records: %+v %+v %+v %+v", p.MTA, p.TLS, p.BIMI, p.MX)
	}
	req, err := p.For("Tenant.Example", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Level{
		"spf-record": Critical, "spf-include": Critical, "spf-all": Critical, "spf-budget": Advisory,
		"dkim-selector": Critical, "dkim-cname": Critical, "dkim-key-size": Critical,
		"dmarc-record": Critical, "dmarc-policy": Critical, "dmarc-rua": Critical,
		"dmarc-ruf": Off, "dmarc-fo": Off, "dmarc-testing": Off, "dmarc-alignment": Off, "dmarc-subdomain-policy": Off,
		"mx": Off, "mta-sts": Advisory, "tls-rpt": Advisory, "bimi": Advisory,
	}
	for n, l := range want {
		if got := req.Level(n); got != l {
			t.Errorf("level of %s = %s, want %s", n, got, l)
		}
	}
	if req.Domain != "tenant.example" || req.TTL != 3600 || strings.Join(req.SPF.Protected, ",") != "_spf.penguinmails.com,spf.partner-integration.com" {
		t.Errorf("requirements %+v", req)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		msg, hint  string
	}{
		{"unknown key", "spf:\n  inclde: [a.example]\n", 2, `spf.inclde: unknown key`, `did you mean "include"?`},
		{"unknown top key", "nme: x\n", 1, `nme: unknown key`, `did you mean "name"?`},
		{"wrong type", "spf:\n  include:\n    a: b\n", 3, "spf.include: want a list, got a mapping", ""},
		{"wrong type of a section", "dkim: [a]\n", 1, "dkim: want a mapping of keys to values, got a list", ""},
		{"twice", "name: a\nname: b\n", 2, `name: given twice (first on line 1)`, ""},
		{"bad all", "spf:\n  all: ?all\n", 2, `spf.all: "?all": want -all or ~all`, "never allowed"},
		{"bad policy", "dmarc:\n  policy: quarantaine\n", 2, `dmarc.policy: "quarantaine" is not a policy`, ""},
		{"bad level", "mta_sts: maybe\n", 1, `mta_sts.level: "maybe" is not a level`, "critical"},
		{"bad rua", "dmarc:\n  rua: [https://x.example]\n", 2, `not a report address`, ""},
		{"bad selector", "dkim:\n  selectors:\n    - selector: a b\n", 3, "dkim.selectors[0].selector", ""},
		{"bad max key age", "dkim:\n  min_bits: 2048\n  max_key_age: six months\n", 3, `dkim.max_key_age: "six months" is not a duration`, "180d"},
		{"bad rotation grace", "dkim:\n  rotation_grace: -1d\n", 2, `dkim.rotation_grace: "-1d" is not a duration`, "26w"},
		{"key and cname", "dkim:\n  selectors:\n    - selector: s\n      cname: x.example\n      key: abc\n", 3, "give one of key, key_file and cname", ""},
		{"bad placeholder", "dkim:\n  selectors:\n    - selector: s\n      cname: \"{sel}.x.example\"\n", 4, "unknown placeholder", ""},
		{"bad key", "dkim:\n  selectors:\n    - selector: s\n      key: not-a-key!\n", 4, "neither base64", ""},
		{"unknown code", "ignore: [dmarc.policy-non]\n", 1, `unknown finding code "dmarc.policy-non"`, `did you mean "dmarc.policy-none"?`},
		{"severity of a check", "severity:\n  bimi.*: info\n", 2, "per code", ""},
		{"bad severity", "severity:\n  bimi.no-record: loud\n", 2, "not a severity", ""},
		{"unknown requirement", "levels:\n  spf-budgett: off\n", 2, "unknown requirement", `did you mean "spf-budget"?`},
		{"budget", "spf:\n  lookup_budget: 12\n", 2, "out of range", ""},
		{"malformed yaml", "spf: [\n", 1, "malformed YAML", ""},
		{"bad mx", "mx:\n  hosts:\n    - host: a..b\n      preference: 10\n", 3, "not a host name", ""},
	} {
		_, err := Parse("p.yaml", []byte(tc.text), LoadOptions{Codes: knownCodes})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v, want an *Error", tc.name, err)
			continue
		}
		if e.File != "p.yaml" || e.Line != tc.line || !strings.Contains(e.Error(), tc.msg) || !strings.Contains(e.Hint, tc.hint) {
			t.Errorf("%s: %v (line %d, hint %q); want line %d, %q, hint %q", tc.name, err, e.Line, e.Hint, tc.line, tc.msg, tc.hint)
		}
	}
}

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	os.WriteFile(filepath.Join(dir, "mailu.pub"), pubPEM, 0o644)
	priv, _ := dkimkey.MarshalPrivateKey(k)
	os.WriteFile(filepath.Join(dir, "mailu.pem"), priv, 0o600)
	rec, _ := keyRecord(&k.PublicKey)
	pval := rec[strings.Index(rec, "p=")+2:]
	_, edpub, _ := func() (ed25519.PublicKey, ed25519.PublicKey, error) {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		return pub, pub, err
	}()
	edrec, _ := keyRecord(edpub)

	profile := filepath.Join(dir, "p.yaml")
	for _, tc := range []struct {
		sel string
		ok  bool
		msg string
	}{
		{"key_file: mailu.pub", true, ""},
		{"key: " + pval, true, ""},
		{`key: "` + rec + `"`, true, ""},
		{`key: "` + edrec + `"`, true, ""},
		{"key_file: mailu.pem", false, "this is a private key"},
		{"key_file: nothere.pub", false, "no such file"},
	} {
		os.WriteFile(profile, []byte("dkim:\n  selectors:\n    - selector: mailu\n      "+tc.sel+"\n"), 0o644)
		p, err := Load(profile, LoadOptions{})
		if tc.ok {
			if err != nil || p.DKIM.Selectors[0].pub == nil || !strings.HasPrefix(p.DKIM.Selectors[0].keyText, "v=DKIM1;") {
				t.Errorf("%s: %v", tc.sel, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %q", tc.sel, err, tc.msg)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE KEY-----") {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}

func TestLoadKeyFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("timeout: 3s\nprofile:\n  name: inline\n  spf:\n    include: _spf.platform.example\n    alll: -all\n"), 0o644)
	_, err := LoadKey(cfg, "profile", LoadOptions{})
	var e *Error
	if !errors.As(err, &e) || e.Line != 6 || e.File != cfg || !strings.Contains(e.Hint, `"all"`) {
		t.Fatalf("LoadKey error %v", err)
	}
	os.WriteFile(cfg, []byte("timeout: 3s\nprofile:\n  name: inline\n  spf:\n    include: _spf.platform.example\n"), 0o644)
	p, err := LoadKey(cfg, "profile", LoadOptions{})
	if err != nil || p.Name != "inline" || p.SPF.Include[0] != "_spf.platform.example" {
		t.Errorf("LoadKey = %+v, %v", p, err)
	}
	if _, err := LoadKey(cfg, "nothere", LoadOptions{}); err == nil {
		t.Error("a missing key loaded")
	}
	if _, err := Load(filepath.Join(dir, "none.yaml"), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}

const tenantsText = `
tenants:
  acme:
    name: Acme Corp
    domains:
      acme.example:
      mail.acme.example:
        dmarc:
          policy: reject
        ignore: [bimi.*]
        severity:
          dmarc.policy-none: info
        waivers:
          - code: dmarc-policy
            reason: moving from p=none, agreed with ops
            expires: 2026-12-31
  bücher:
    domains:
      - bücher.example
      - other.example
`

func TestTenants(t *testing.T) {
	p, err := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseTenants("tenants.yaml", []byte(tenantsText), p, LoadOptions{Codes: knownCodes})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ts.IDs(), ",") != "acme,bücher" || len(ts.Tenant("acme").Domains) != 2 || ts.Tenant("acme").Name != "Acme Corp" {
		t.Errorf("tenants %v", ts.IDs())
	}
	if d := ts.Lookup("BÜCHER.example."); d == nil || d.Domain != "xn--bcher-kva.example" || d.Tenant.ID != "bücher" {
		t.Errorf("Lookup of an IDN: %+v", d)
	}
	if ts.Lookup("nobody.example") != nil || ts.Tenant("nobody") != nil {
		t.Error("lookups of unknowns")
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	req, err := p.For("mail.acme.example", ts, now)
	if err != nil {
		t.Fatal(err)
	}
	if req.Tenant != "acme" || req.DMARC.Policy != "reject" || len(req.Waivers) != 1 || req.Waivers[0].Expired || req.Waived("dmarc-policy") == nil {
		t.Errorf("requirements %+v", req)
	}
	pol := req.Policy
	if !pol.Ignores("bimi.no-record") || pol.Severity["dmarc.policy-none"] != finding.Info || !strings.Contains(pol.Waive["profile.dmarc-policy"], "until 2026-12-31: moving from p=none") {
		t.Errorf("policy %+v", pol)
	}
	// The waiver holds through its day, and expires after.
	req, _ = p.For("mail.acme.example", ts, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))
	if req.Waivers[0].Expired {
		t.Error("a waiver expired on its last day")
	}
	req, _ = p.For("mail.acme.example", ts, time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC))
	if !req.Waivers[0].Expired || req.Waived("dmarc-policy") != nil || len(req.Policy.Waive) != 0 {
		t.Error("an expired waiver still holds")
	}
}

func TestTenantsErrors(t *testing.T) {
	p, _ := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	for _, tc := range []struct {
		name, text string
		line       int
		msg, hint  string
	}{
		{"claimed twice", "tenants:\n  a:\n    domains: [x.example]\n  b:\n    domains:\n      - X.example\n", 6, `the domain x.example is claimed by tenant "b" and, on line 3, by tenant "a"`, "belongs to one tenant"},
		{"weaker policy", "tenants:\n  a:\n    domains:\n      x.example:\n        dmarc:\n          policy: none\n", 6, "none is weaker than the profile's quarantine", "waiver"},
		{"waiver without reason", "tenants:\n  a:\n    domains:\n      x.example:\n        waivers:\n          - code: dmarc-policy\n            expires: 2026-01-01\n", 6, "a waiver says why", "reason"},
		{"waiver without expiry", "tenants:\n  a:\n    domains:\n      x.example:\n        waivers:\n          - code: dmarc-policy\n            reason: r\n", 6, "a waiver has an end", "expires"},
		{"bad date", "tenants:\n  a:\n    domains:\n      x.example:\n        waivers:\n          - code: dmarc-policy\n            reason: r\n            expires: next year\n", 8, "not a date", ""},
		{"unknown waiver code", "tenants:\n  a:\n    domains:\n      x.example:\n        waivers:\n          - code: dmarc.policy-non\n            reason: r\n            expires: 2027-01-01\n", 6, "unknown finding code", "dmarc.policy-none"},
		{"unknown key", "tenants:\n  a:\n    domans: [x.example]\n", 3, "unknown key", `"domains"`},
		{"bad domain", "tenants:\n  a:\n    domains: [a..b]\n", 3, "not a domain name", ""},
		{"no tenants", "tenants: {}\n", 0, "no tenants", ""},
		{"a relaxed alignment", "tenants:\n  a:\n    domains:\n      x.example:\n        dmarc:\n          adkim: relaxed\n", 6, "only require strict", ""},
	} {
		_, err := ParseTenants("t.yaml", []byte(tc.text), p, LoadOptions{Codes: knownCodes})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v", tc.name, err)
			continue
		}
		if e.Line != tc.line || !strings.Contains(e.Error(), tc.msg) || !strings.Contains(e.Hint, tc.hint) {
			t.Errorf("%s: %v (line %d, hint %q); want line %d, %q, %q", tc.name, err, e.Line, e.Hint, tc.line, tc.msg, tc.hint)
		}
	}
}

// TestDocsExample: docs/profiles.md shows testdata/profiles/penguinmails.yaml
// as it is, and names every key of the schema.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../testdata/profiles/penguinmails.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	start := strings.Index(s, "<!-- penguinmails.yaml -->\n```yaml\n")
	end := strings.Index(s, "```\n<!-- end -->")
	if start < 0 || end < 0 || s[start+len("<!-- penguinmails.yaml -->\n```yaml\n"):end] != string(example) {
		t.Error("docs/profiles.md does not show testdata/profiles/penguinmails.yaml as it is")
	}
	var keys func(t reflect.Type)
	seen := map[reflect.Type]bool{}
	keys = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			if !strings.Contains(s, "`"+tag+"`") && !strings.Contains(s, "."+tag+"`") && !strings.Contains(s, "`"+tag+".") {
				t.Errorf("docs/profiles.md does not describe the key %s (%s)", tag, typ)
			}
			keys(f.Type)
		}
	}
	keys(reflect.TypeOf(Profile{}))
	keys(reflect.TypeOf(Override{}))
	keys(reflect.TypeOf(tenantsFile{}))
	for _, r := range RequirementNames() {
		if !strings.Contains(s, "| `"+r+"` |") {
			t.Errorf("docs/profiles.md does not describe the requirement %s", r)
		}
	}
}

func TestLoadRotationKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte("dkim:\n  max_key_age: 90d\n  rotation_grace: 2w\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := p.DKIM.MaxKeyAgeDuration(); !ok || d != 90*24*time.Hour {
		t.Errorf("max_key_age %v %v", d, ok)
	}
	if d, ok := p.DKIM.RotationGraceDuration(); !ok || d != 14*24*time.Hour {
		t.Errorf("rotation_grace %v %v", d, ok)
	}
	p, err = Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.DKIM.MaxKeyAgeDuration(); ok {
		t.Error("penguinmails.yaml sets no max_key_age")
	}
}

func TestGeneratedBits(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		min  int
		want int
	}{{"rsa", 1024, 2048}, {"rsa", 2048, 2048}, {"rsa", 2500, 3072}, {"rsa", 3072, 3072}, {"rsa", 3073, 4096}, {"rsa", 8192, 4096}, {"ed25519", 2048, 0}} {
		if got := (DKIMRequirements{KeyType: tc.typ, MinBits: tc.min}).GeneratedBits(); got != tc.want {
			t.Errorf("%s %d: %d, want %d", tc.typ, tc.min, got, tc.want)
		}
	}
}
