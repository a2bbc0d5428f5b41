package check

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

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
