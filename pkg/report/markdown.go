package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// stepSummaryMaxBytes keeps the github step summary under GitHub's limit
// (1 MiB per step), with room for what other steps append.
const stepSummaryMaxBytes = 1000000

// markdownWriter writes a document for a pull-request comment or a GitHub
// step summary: a table of every domain, then a section for each domain that
// did not pass, with its checks and its findings' fixes in code blocks ready
// to copy. It keeps the rendered rows and sections and writes them at Close.
type markdownWriter struct {
	w        io.Writer
	opts     Options
	limit    int
	rows     []string
	sections []string
	// groups (GroupByTenant): a tenants table, and a tenant column in the
	// domains table.
	groups *check.Tenants
}

func newMarkdown(w io.Writer, opts Options, limit int) *markdownWriter {
	return &markdownWriter{w: w, opts: opts, limit: limit}
}

// mdMark is the status mark in markdown (GitHub renders the emoji).
func mdMark(status string) string {
	switch status {
	case "pass":
		return "✅"
	case "warn":
		return "⚠️"
	case "fail":
		return "❌"
	case "error":
		return "❗"
	case "skip":
		return "➖"
	case "invalid":
		return "🚫"
	}
	return "❔"
}

func mdSeverityMark(s finding.Severity) string {
	switch s {
	case finding.Error:
		return "❌"
	case finding.Warning:
		return "⚠️"
	}
	return "ℹ️"
}

func (m *markdownWriter) domain(d *check.DomainResult) error {
	label := statusLabel(d)
	n := countFindings(d)
	var attention []string
	for _, c := range d.Checks {
		switch c.Status {
		case check.StatusFail, check.StatusWarn, check.StatusError:
			attention = append(attention, mdMark(string(c.Status))+" "+mdText(c.Check))
		}
	}
	tenant := ""
	if m.groups != nil {
		tenant = mdText(tenantLabel(d.Tenant)) + " | "
	}
	m.rows = append(m.rows, fmt.Sprintf("| %s%s | %s %s | %d | %d | %s |\n",
		tenant, mdText(d.Domain), mdMark(label), label, n.errors, n.warnings, strings.Join(attention, ", ")))
	if label != "pass" && label != "skip" {
		m.sections = append(m.sections, m.section(d, label))
	}
	return nil
}

func (m *markdownWriter) section(d *check.DomainResult, label string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s %s: %s\n\n", mdMark(label), mdText(d.Domain), label)
	if invalid(d) {
		fmt.Fprintf(&b, "The input could not be checked: %s\n", mdText(d.Error))
		return b.String()
	}
	if d.Error != "" {
		fmt.Fprintf(&b, "%s\n\n", mdText(d.Error))
	}
	b.WriteString("| Check | Status | Record |\n| --- | --- | --- |\n")
	for _, c := range d.Checks {
		st := checkLabel(c)
		var rec string
		switch {
		case len(c.Records) > 0:
			rec = mdCode(truncate(oneLine(c.Records[0]), 80), true)
			if len(c.Records) > 1 {
				rec += fmt.Sprintf(" (+%d more)", len(c.Records)-1)
			}
		case c.Error != "":
			rec = mdText(c.Error)
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s |\n", mdText(c.Check), mdMark(st), st, rec)
	}
	for _, c := range d.Checks {
		if c.Status == check.StatusError && c.Error != "" {
			fmt.Fprintf(&b, "\n%s **%s** could not complete: %s\n", mdMark("error"), mdText(c.Check), mdText(c.Error))
		}
		for _, f := range c.Findings {
			if !shown(f, m.opts.Verbose) {
				continue
			}
			fmt.Fprintf(&b, "\n%s **%s** %s %s: %s", mdSeverityMark(f.Severity), mdText(c.Check), f.Severity, mdCode(f.Code, false), mdText(f.Message))
			if f.Name != "" {
				fmt.Fprintf(&b, " (%s)", mdCode(f.Name, false))
			}
			b.WriteString("\n")
			if f.Fix != "" {
				b.WriteString("\n")
				b.WriteString(mdFence(f.Fix, "text"))
			}
		}
	}
	return b.String()
}

func (m *markdownWriter) close(s check.Summary) error {
	_, err := io.WriteString(m.w, m.document(s))
	return err
}

// document assembles the markdown, leaving out the rows and sections that
// would take it over the limit.
func (m *markdownWriter) document(s check.Summary) string {
	var b strings.Builder
	b.WriteString("## emailauth check report\n\n")
	fmt.Fprintf(&b, "**%s**", summaryLine(s))
	switch {
	case len(m.rows) == 0:
		b.WriteString("\n\nNo domains were checked.\n")
		return b.String()
	case len(m.sections) == 0:
		b.WriteString(": nothing to fix.")
	}
	if m.groups != nil {
		b.WriteString("\n\n| Tenant | Status | Domains | Pass | Warn | Fail | Error | Invalid |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, ts := range m.groups.List() {
			st := string(ts.Status)
			c := ts.Summary
			fmt.Fprintf(&b, "| %s | %s %s | %d | %d | %d | %d | %d | %d |\n", mdText(tenantLabel(ts.Tenant)), mdMark(st), st, c.Domains, c.Pass, c.Warn, c.Fail, c.Error, c.Invalid)
		}
		b.WriteString("\n| Tenant | Domain | Status | Errors | Warnings | Checks to look at |\n| --- | --- | --- | --- | --- | --- |\n")
	} else {
		b.WriteString("\n\n| Domain | Status | Errors | Warnings | Checks to look at |\n| --- | --- | --- | --- | --- |\n")
	}
	blocks := append(append([]string(nil), m.rows...), m.sections...)
	rest := 0 // the bytes of the blocks not yet written
	for _, blk := range blocks {
		rest += len(blk)
	}
	noteMax := len(truncatedNote(1e9, 1e9, m.limit))
	for i, blk := range blocks {
		// Write the block if everything left fits, or if it and the note do.
		if m.limit > 0 && b.Len()+rest > m.limit && b.Len()+len(blk)+noteMax > m.limit {
			rows, secs := 0, len(m.sections)
			if i < len(m.rows) {
				rows = len(m.rows) - i
			} else {
				secs = len(blocks) - i
			}
			b.WriteString(truncatedNote(rows, secs, m.limit))
			break
		}
		b.WriteString(blk)
		rest -= len(blk)
	}
	return b.String()
}

func truncatedNote(rows, sections, limit int) string {
	return fmt.Sprintf("\n**Truncated** to stay under %d bytes: %s and %s not shown. The json or jsonl output has the full report.\n",
		limit, plural(rows, "domain row", "domain rows"), plural(sections, "domain section", "domain sections"))
}
