package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// tenantReport is the sample with its domains in two tenants and one
// domain in none, grouped as the check command writes them.
func tenantReport() *check.Report {
	r := sampleReport()
	tenants := map[string]string{"ok.example": "acme", "warn.example": "acme", "fail.example": "bolt", "servfail.example": "bolt"}
	for _, d := range r.Domains {
		d.Tenant = tenants[d.Domain]
	}
	var t check.Tenants
	for _, d := range r.Domains {
		t.Add(d)
	}
	r.Tenants = t.List()
	return r
}

// TestGoldenTenants: every format groups by tenant with a per-tenant
// summary.
func TestGoldenTenants(t *testing.T) {
	for _, c := range []struct{ file, format string }{
		{"tenants.table.txt", "table"},
		{"tenants.json", "json"},
		{"tenants.jsonl", "jsonl"},
		{"tenants.csv", "csv"},
		{"tenants.junit.xml", "junit"},
		{"tenants.github.txt", "github"},
		{"tenants.md", "markdown"},
	} {
		t.Run(c.file, func(t *testing.T) {
			golden(t, c.file, render(t, c.format, tenantReport(), Options{GroupByTenant: true}))
		})
	}
}

func TestTenantsInEveryFormat(t *testing.T) {
	opts := Options{GroupByTenant: true}
	table := string(render(t, "table", tenantReport(), opts))
	for _, want := range []string{"tenant acme\n", "tenant acme: 2 domains: 1 pass, 1 warn, 0 fail, 0 error", "tenant bolt: 2 domains: 0 pass, 0 warn, 1 fail, 1 error", "tenant (none): 1 domain: 0 pass, 0 warn, 0 fail, 0 error, 1 invalid", "5 domains: 1 pass, 1 warn, 1 fail, 1 error, 1 invalid"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Index(table, "tenant acme:") > strings.Index(table, "tenant bolt\n") {
		t.Error("the acme summary comes after the bolt heading")
	}

	var doc check.Report
	if err := json.Unmarshal(render(t, "json", tenantReport(), opts), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tenants) != 3 || doc.Tenants[0].Tenant != "acme" || doc.Tenants[0].Status != finding.StatusWarn || doc.Tenants[1].Summary.Fail != 1 || doc.Tenants[2].Summary.Invalid != 1 {
		t.Errorf("json tenants %+v", doc.Tenants)
	}
	if doc.Domains[0].Tenant != "acme" {
		t.Errorf("json domain tenant %q", doc.Domains[0].Tenant)
	}
	// Without grouping, nothing changes.
	if bytes.Contains(render(t, "json", tenantReport(), Options{}), []byte(`"tenants"`)) {
		t.Error("json has tenants without GroupByTenant")
	}

	rows, err := csv.NewReader(bytes.NewReader(render(t, "csv", tenantReport(), opts))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if h := rows[0]; h[len(h)-1] != "tenant" || len(h) != len(CSVHeader)+1 {
		t.Errorf("csv header %v", h)
	}
	last := rows[len(rows)-3:]
	for i, id := range []string{"acme", "bolt", ""} {
		if last[i][0] != "" || last[i][len(last[i])-1] != id || !strings.Contains(last[i][6], "domain") {
			t.Errorf("csv summary row %d: %v", i, last[i])
		}
	}

	var suites struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Props []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(render(t, "junit", tenantReport(), opts), &suites); err != nil {
		t.Fatal(err)
	}
	if len(suites.Suites) != 3 || suites.Suites[0].Name != "tenant acme" || suites.Suites[0].Tests != 8 {
		t.Errorf("junit suites %+v", suites.Suites)
	}

	gh := string(render(t, "github", tenantReport(), opts))
	if !strings.Contains(gh, "::group::tenant bolt: fail.example: fail") || !strings.Contains(gh, "emailauth: tenant acme: 2 domains: 1 pass, 1 warn") {
		t.Errorf("github:\n%s", gh)
	}
	md := string(render(t, "markdown", tenantReport(), opts))
	if !strings.Contains(md, "| Tenant | Status | Domains |") || !strings.Contains(md, "| bolt | ❌ fail | 2 | 0 | 0 | 1 | 1 | 0 |") || !strings.Contains(md, "| acme | ok.example |") {
		t.Errorf("markdown:\n%s", md)
	}
	jl := render(t, "jsonl", tenantReport(), opts)
	if n := bytes.Count(jl, []byte(`"tenant":"acme"`)); n != 2 {
		t.Errorf("jsonl lines with acme: %d", n)
	}
}

func TestGroupedJSONValidates(t *testing.T) {
	root := loadSchema(t)
	v := &validator{root: root}
	for _, e := range v.validate(root, decodeJSON(t, render(t, "json", tenantReport(), Options{GroupByTenant: true})), "$") {
		t.Error(e)
	}
	bad := `{"schema":"emailauth.report/v1","domains":[],"summary":{"domains":0,"pass":0,"warn":0,"fail":0,"error":0,"invalid":0},"tenants":[{"tenant":"a","status":"meh","summary":{"domains":0,"pass":0,"warn":0,"fail":0,"error":0,"invalid":0}}]}`
	if len(v.validate(root, decodeJSON(t, []byte(bad)), "$")) == 0 {
		t.Error("a bad tenant status validated")
	}
	_ = fmt.Sprint()
}
