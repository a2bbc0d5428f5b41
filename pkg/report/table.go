package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// tableWriter writes the report for people, streamed: per domain a header
// line, a line per check (mark, name, status, first record or reason), and
// under each check its findings with their fixes; the summary line at Close.
// Info findings and every record are shown when verbose. Text from DNS is
// made printable (no terminal escapes).
type tableWriter struct {
	out    func(string) error
	colors ColorScheme
	opts   Options
	width  int
	buf    bytes.Buffer
	n      int
	// groups and tenant: the tenant tallies and the tenant being written
	// (GroupByTenant).
	groups *check.Tenants
	tenant *string
}

// newTable writes to w. When w is a Term, the table is written through it
// in its colour scheme (the text is made safe here, field by field, so that
// colour can pass); otherwise opts.Color decides.
func newTable(w io.Writer, opts Options) *tableWriter {
	t := &tableWriter{opts: opts, width: opts.width(), colors: ColorScheme{Enabled: opts.Color}}
	if term, ok := w.(*Term); ok {
		t.out, t.colors = term.writeSafe, term.Colors()
	} else {
		t.out = func(s string) error { _, err := io.WriteString(w, s); return err }
	}
	return t
}

const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
)

// tableMark is a status's mark in the table (and in github's log lines).
func tableMark(status string) string {
	switch status {
	case "pass":
		return "✓"
	case "warn":
		return "!"
	case "fail", "invalid":
		return "✗"
	case "error":
		return "?"
	case "skip":
		return "-"
	}
	return "?"
}

// severityMark is a finding's mark and style: ? for a transient finding
// (could not find out), else by severity.
func severityMark(f finding.Finding) (mark string, st Style) {
	if f.Transient {
		return "?", StyleError
	}
	switch f.Severity {
	case finding.Error:
		return "✗", SeverityStyle(f.Severity)
	case finding.Warning:
		return "!", SeverityStyle(f.Severity)
	}
	return "i", SeverityStyle(f.Severity)
}

// paint wraps s in an ANSI colour when colour is on.
func (t *tableWriter) paint(st Style, s string) string { return t.colors.Paint(st, s) }

// checkNameWidth fits every standard check name (starttls, mta-sts...).
const checkNameWidth = 8

func (t *tableWriter) domain(d *check.DomainResult) error {
	t.buf.Reset()
	if t.groups != nil && (t.tenant == nil || *t.tenant != d.Tenant) {
		if t.tenant != nil {
			t.tenantSummary(*t.tenant)
		}
		if t.n > 0 {
			t.buf.WriteByte('\n')
		}
		id := d.Tenant
		t.tenant = &id
		fmt.Fprintf(&t.buf, "%s\n", t.paint(StyleBold, "tenant "+tenantLabel(id)))
	}
	if t.n > 0 {
		t.buf.WriteByte('\n')
	}
	t.n++
	label := statusLabel(d)
	fmt.Fprintf(&t.buf, "%s  %s", t.paint(StyleBold, oneLine(printable(d.Domain))), t.paint(StatusStyle(label), strings.ToUpper(label)))
	if n := countFindings(d); n.errors+n.warnings+n.transient > 0 {
		var parts []string
		if n.errors > 0 {
			parts = append(parts, plural(n.errors, "error", "errors"))
		}
		if n.warnings > 0 {
			parts = append(parts, plural(n.warnings, "warning", "warnings"))
		}
		if n.transient > 0 {
			parts = append(parts, plural(n.transient, "thing not found out", "things not found out"))
		}
		fmt.Fprintf(&t.buf, "  (%s)", strings.Join(parts, ", "))
	}
	t.buf.WriteByte('\n')
	if d.Error != "" {
		t.lines("  error: ", "         ", d.Error)
	}
	for _, c := range d.Checks {
		t.check(c)
	}
	return t.out(t.buf.String())
}

func (t *tableWriter) check(c *check.CheckResult) {
	st := checkLabel(c)
	name := oneLine(printable(c.Check))
	pad := checkNameWidth - Width(name)
	if pad < 0 {
		pad = 0
	}
	lead := fmt.Sprintf("  %s %s%s  %s%s", t.paint(StatusStyle(st), tableMark(st)), name, strings.Repeat(" ", pad),
		t.paint(StatusStyle(st), st), strings.Repeat(" ", max(0, 5-len(st))))
	used := 2 + 1 + 1 + max(Width(name), checkNameWidth) + 2 + max(5, len(st))
	var summary string
	var wrapped []string // an error too long for the line, wrapped under the summary column
	switch {
	case c.Summary != "" && !t.opts.Verbose:
		summary = truncate(oneLine(printable(c.Summary)), max(t.width-used-2, 10))
	case len(c.Records) > 0 && !t.opts.Verbose:
		more := ""
		if len(c.Records) > 1 {
			more = fmt.Sprintf(" (+%d more)", len(c.Records)-1)
		}
		room := t.width - used - 2 - Width(more)
		summary = truncate(oneLine(printable(c.Records[0])), max(room, 10)) + more
	case c.Error != "":
		wrapped = wrap(oneLine(printable(c.Error)), max(t.width-used-2, 20))
		summary, wrapped = wrapped[0], wrapped[1:]
	}
	if summary != "" {
		fmt.Fprintf(&t.buf, "%s  %s\n", lead, summary)
		for _, l := range wrapped {
			fmt.Fprintf(&t.buf, "%s%s\n", strings.Repeat(" ", used+2), l)
		}
	} else {
		fmt.Fprintf(&t.buf, "%s\n", strings.TrimRight(lead, " "))
	}
	if t.opts.Verbose {
		if len(c.Records) > 0 && c.Error != "" {
			t.lines("      ", "      ", c.Error)
		}
		for _, r := range c.Records {
			// Records stay whole, on lines of their own, to be copied.
			for _, l := range strings.Split(printable(r), "\n") {
				fmt.Fprintf(&t.buf, "      record: %s\n", l)
			}
		}
	}
	for _, f := range c.Findings {
		if !shown(f, t.opts.Verbose) {
			continue
		}
		mark, style := severityMark(f)
		head := fmt.Sprintf("%s %s %s:", mark, f.Severity, printable(f.Code))
		lines := wrap(head+" "+printable(f.Message), t.width-6)
		rest := strings.TrimPrefix(lines[0], head)
		fmt.Fprintf(&t.buf, "      %s %s %s:%s\n", t.paint(style, mark), t.paint(style, f.Severity.String()), printable(f.Code), rest)
		for _, l := range lines[1:] {
			fmt.Fprintf(&t.buf, "        %s\n", l)
		}
		if f.Name != "" {
			t.lines("        name: ", "              ", f.Name)
		}
		if f.Fix != "" {
			t.lines("        fix: ", "             ", f.Fix)
		}
	}
}

// lines writes text wrapped to the width, the first line after first and
// the others after rest.
func (t *tableWriter) lines(first, rest, text string) {
	for i, l := range wrap(printable(text), t.width-len(first)) {
		if i == 0 {
			t.buf.WriteString(first)
		} else {
			t.buf.WriteString(rest)
		}
		t.buf.WriteString(l)
		t.buf.WriteByte('\n')
	}
}

func (t *tableWriter) close(s check.Summary) error {
	t.buf.Reset()
	if t.groups != nil && t.tenant != nil {
		t.tenantSummary(*t.tenant)
	}
	sep := ""
	if t.n > 0 {
		sep = "\n"
	}
	fmt.Fprintf(&t.buf, "%s%s\n", sep, summaryLine(s))
	return t.out(t.buf.String())
}

// tenantSummary writes the summary line of a tenant's domains.
func (t *tableWriter) tenantSummary(id string) {
	s := t.groups.Summary(id)
	st := s.Status()
	if s.Invalid > 0 && st.Rank() < check.StatusError.Rank() {
		st = check.StatusError
	}
	fmt.Fprintf(&t.buf, "\n%s %s: %s\n", t.paint(StatusStyle(string(st)), tableMark(string(st))), "tenant "+tenantLabel(id), summaryLine(s))
}
