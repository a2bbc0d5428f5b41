package check

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// TestTableDocsAndSchemaAgree keeps the checks table, the report schema's
// enum of check names and docs/checks.md in step.
func TestTableDocsAndSchemaAgree(t *testing.T) {
	names := Names()
	raw, err := os.ReadFile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	enum := schema.Defs["check"].Properties["check"].Enum
	if strings.Join(enum, ",") != strings.Join(names, ",") {
		t.Errorf("schema enum %v, table %v", enum, names)
	}
	doc, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		rows = append(rows, m[1])
	}
	if strings.Join(rows, ",") != strings.Join(names, ",") {
		t.Errorf("docs/checks.md rows %v, table %v", rows, names)
	}
	for _, c := range Checks() {
		if c.Summary == "" || c.Findings == nil || c.run == nil {
			t.Errorf("%s: incomplete declaration", c.Name)
		}
		if _, err := os.Stat("../../docs/" + c.Doc); err != nil {
			t.Errorf("%s: doc page %s: %v", c.Name, c.Doc, err)
		}
		for _, s := range c.Findings() {
			if !strings.HasPrefix(s.Code, c.Name+".") {
				t.Errorf("%s emits %s, outside its namespace", c.Name, s.Code)
			}
		}
	}
	if IsCheck("nope") {
		t.Error("IsCheck(nope)")
	}
	if _, err := New(nil, Options{Checks: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `unknown check "nope"`) {
		t.Errorf("New with an unknown check: %v", err)
	}
}

// TestPanickingCheckIsAnError: a bug in one check gives that check an
// error result; the domain's other checks still run.
func TestPanickingCheckIsAnError(t *testing.T) {
	c, err := New(dnstest.NewFake(`d.test. MX 0 .`), Options{Checks: []string{CheckMX, CheckSPF}, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	// Simulate a bug: a resolver that panics for TXT, which only the SPF
	// check asks here.
	c.r = dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		if qtype == dns.TypeTXT {
			panic("boom")
		}
		return dnstest.NewFake(`d.test. MX 0 .`).Query(ctx, name, qtype)
	})
	res := c.CheckDomain(context.Background(), "d.test")
	byName := map[string]*CheckResult{}
	for _, r := range res.Checks {
		byName[r.Check] = r
	}
	if r := byName[CheckSPF]; r == nil || r.Status != StatusError || !strings.Contains(r.Error, "internal error in the spf check: boom") {
		t.Errorf("spf: %+v", r)
	}
	if r := byName[CheckMX]; r == nil || r.Status != StatusPass {
		t.Errorf("mx: %+v", r)
	}
}

// TestParkedDomain: a domain with a null MX and "v=spf1 -all" is parked:
// no DKIM key or TLS-RPT record is asked of it, DMARC p=reject still is.
func TestParkedDomain(t *testing.T) {
	zone := []string{`parked.test. MX 0 .`, `parked.test. TXT "v=spf1 -all"`, `_dmarc.parked.test. TXT "v=DMARC1; p=reject"`}
	c, _ := New(dnstest.NewFake(zone...), Options{Checks: []string{CheckMX, CheckSPF, CheckDKIM, CheckDMARC, CheckTLSRPT}, Offline: true})
	res := c.CheckDomain(context.Background(), "parked.test")
	if !res.Parked || res.Status != StatusWarn { // warn: no rua
		t.Fatalf("parked %v, status %s: %+v", res.Parked, res.Status, res.Checks)
	}
	for _, cr := range res.Checks {
		switch cr.Check {
		case CheckDKIM, CheckTLSRPT:
			if cr.Status != StatusSkip || !strings.Contains(cr.Error, "parked") {
				t.Errorf("%s: %s %q", cr.Check, cr.Status, cr.Error)
			}
		case CheckMX:
			if !strings.Contains(codesOf(cr), "mx.parked") {
				t.Errorf("mx: %s", codesOf(cr))
			}
		}
	}
	// Parked, but DMARC is not reject: warned.
	zone[2] = `_dmarc.parked.test. TXT "v=DMARC1; p=none; rua=mailto:d@parked.test"`
	c, _ = New(dnstest.NewFake(zone...), Options{Checks: []string{CheckMX, CheckSPF, CheckDMARC}, Offline: true})
	res = c.CheckDomain(context.Background(), "parked.test")
	if mx := res.Checks[0]; !strings.Contains(codesOf(mx), "mx.parked-dmarc") {
		t.Errorf("mx: %s", codesOf(mx))
	}
	// A required selector is still required.
	c, _ = New(dnstest.NewFake(zone...), Options{Checks: []string{CheckMX, CheckSPF, CheckDKIM}, Selectors: []string{"s1"}, Offline: true})
	if res := c.CheckDomain(context.Background(), "parked.test"); res.Checks[2].Status != StatusFail {
		t.Errorf("required selector on a parked domain: %s", res.Checks[2].Status)
	}
	// A null MX with a permissive SPF record is not parked.
	c, _ = New(dnstest.NewFake(`np.test. MX 0 .`, `np.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"`), Options{Checks: []string{CheckMX, CheckSPF, CheckDKIM}, Offline: true})
	if res := c.CheckDomain(context.Background(), "np.test"); res.Parked || !strings.Contains(codesOf(res.Checks[0]), "mx.parked-spf") {
		t.Errorf("np.test: parked %v, %s", res.Parked, codesOf(res.Checks[0]))
	}
}

// TestDKIMKeyAge: the posture check reports a key's age from a date in its
// selector, and warns past six months (a profile may say otherwise).
func TestDKIMKeyAge(t *testing.T) {
	zone := dnstest.NewFake(`s20250101._domainkey.old.test. TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`)
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	c, _ := New(zone, Options{Checks: []string{CheckDKIM}, Selectors: []string{"s20250101"}, Offline: true, Now: now})
	res := c.CheckDomain(context.Background(), "old.test")
	if got := codesOf(res.Checks[0]); !strings.Contains(got, "dkim.key-age") {
		t.Errorf("findings %s", got)
	}
}
