package report

import (
	"encoding/csv"
	"io"

	"github.com/penguinmails/emailauth/pkg/check"
)

// CSVHeader is the header row of the csv format.
var CSVHeader = []string{"domain", "domain_status", "check", "check_status", "code", "severity", "message", "fix", "name"}

// csvWriter writes one row per finding, streamed. A check without findings
// gets one row with empty code and severity (its error, if any, as the
// message), so every check of every domain appears; an input that could not
// be checked gets one row with an empty check.
type csvWriter struct {
	cw     *csv.Writer
	header bool
	// groups (GroupByTenant) adds a last column, tenant, and a summary row
	// per tenant at the end.
	groups *check.Tenants
	tenant string
}

func newCSV(w io.Writer) *csvWriter { return &csvWriter{cw: csv.NewWriter(w)} }

func (c *csvWriter) row(fields ...string) {
	if c.groups != nil {
		fields = append(fields, c.tenant)
	}
	for i, f := range fields {
		fields[i] = CSVCell(f)
	}
	_ = c.cw.Write(fields) // errors surface through Flush/Error
}

func (c *csvWriter) writeHeader() {
	if !c.header {
		c.header = true
		h := CSVHeader
		if c.groups != nil {
			h = append(append([]string(nil), CSVHeader...), "tenant")
		}
		_ = c.cw.Write(h)
	}
}

func (c *csvWriter) domain(d *check.DomainResult) error {
	c.writeHeader()
	c.tenant = d.Tenant
	ds := string(d.Status)
	if len(d.Checks) == 0 {
		c.row(d.Domain, ds, "", "", "", "", d.Error, "", "")
	}
	for _, ch := range d.Checks {
		if len(ch.Findings) == 0 {
			c.row(d.Domain, ds, ch.Check, string(ch.Status), "", "", ch.Error, "", "")
			continue
		}
		for _, f := range ch.Findings {
			c.row(d.Domain, ds, ch.Check, string(ch.Status), f.Code, f.Severity.String(), f.Message, f.Fix, f.Name)
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvWriter) close(check.Summary) error {
	c.writeHeader() // an empty run still has its header
	if c.groups != nil {
		// A summary row per tenant: no domain, the tenant's status, the
		// counts as the message.
		for _, ts := range c.groups.List() {
			c.tenant = ts.Tenant
			c.row("", string(ts.Status), "", "", "", "", summaryLine(ts.Summary), "", "")
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

// CSVCell makes a CSV cell safe: for a terminal (Safe: control characters,
// bidi controls and invalid UTF-8 escaped; a line break stays, quoted by the
// CSV writer) and for a spreadsheet (csvCell). A writer that wants one
// record per line also passes the value through SafeLine.
// Every command that writes CSV writes its cells through it.
func CSVCell(s string) string { return csvCell(printable(s)) }

// csvCell guards a cell against formula injection: spreadsheet programs
// evaluate a cell that begins with = + - @ (and, in some, a tab or carriage
// return) as a formula, and DNS records are written by whoever controls the
// domain. Such a cell gets a leading apostrophe, the OWASP remedy, which
// spreadsheets show as text. A cell that already begins with an apostrophe
// gets one more, so the guard is reversible: a consumer that wants the raw
// value drops one leading apostrophe from any cell that has one.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}
