// Package report renders the posture report of `emailauth check`
// (check.Report) in the formats of --output: table, json, jsonl, csv, junit,
// github and markdown.
//
// Every format is written through a Writer, one domain at a time, so that a
// run over thousands of domains can stream: table, json, jsonl, csv and github
// write each domain as it is given; junit and markdown keep the rendered
// domains (not the results) and write the document at Close. A Writer writes
// the domains in the order it receives them: a caller that wants input order
// sorts them before calling WriteDomain.
//
// The JSON shape (json and jsonl) is a versioned contract, documented in
// docs/report.md and docs/report.schema.json.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Formats lists the output formats, in the order shown in help texts.
var Formats = []string{"table", "json", "jsonl", "csv", "junit", "github", "markdown"}

// Options tune the renderers. The zero value is a sensible default.
type Options struct {
	// Color writes ANSI colours (table only). The caller decides: a terminal,
	// and neither --no-color nor NO_COLOR.
	Color bool
	// Verbose shows every record and the info findings (table).
	Verbose bool
	// FailOn is the least severity that fails a run. Only Warning changes
	// anything: warnings are then annotated as errors (github) and warn
	// checks reported as failures (junit). Any other value, including the
	// zero value, means Error.
	FailOn finding.Severity
	// StepSummary receives the markdown summary at Close (github; the
	// caller opens $GITHUB_STEP_SUMMARY for appending). Nil writes none.
	StepSummary io.Writer
	// Width is the line width the table wraps and truncates to (0 = 100).
	Width int
	// MarkdownMaxBytes bounds the markdown document (markdown format, and
	// the github step summary, which defaults to GitHub's limit): domains
	// that do not fit are left out with a note saying how many. 0 = no
	// bound for the markdown format.
	MarkdownMaxBytes int
	// GroupByTenant groups the report by the domains' tenant
	// (DomainResult.Tenant), with a summary per tenant, in every format:
	// a heading and a summary line per tenant (table), "tenants" beside
	// "summary" (json), a tenant column and a summary row per tenant (csv),
	// a test suite per tenant (junit), tenant summary lines (github), a
	// tenants table and a tenant column (markdown); jsonl lines carry the
	// tenant. The caller writes each tenant's domains together.
	GroupByTenant bool
}

func (o Options) failOnWarning() bool { return o.FailOn == finding.Warning }

func (o Options) width() int {
	if o.Width <= 0 {
		return 100
	}
	if o.Width < 40 {
		return 40
	}
	return o.Width
}

// Writer renders a report one domain at a time. WriteDomain and Close may be
// called from several goroutines; the domains are written in the order the
// calls happen. A Writer must be closed, once, to complete the output.
type Writer interface {
	// WriteDomain renders one domain's result. It does not keep d.
	WriteDomain(d *check.DomainResult) error
	// Close writes what follows the domains (the summary, the buffered
	// document) and completes the output. It does not close the io.Writer.
	Close(summary check.Summary) error
}

// renderer is what each format implements; New wraps it with the locking
// and the state checks every Writer shares.
type renderer interface {
	domain(d *check.DomainResult) error
	close(s check.Summary) error
}

// New returns a Writer of format writing to w.
func New(format string, w io.Writer, opts Options) (Writer, error) {
	if w == nil {
		return nil, errors.New("report: nil io.Writer")
	}
	var g *check.Tenants
	if opts.GroupByTenant {
		g = &check.Tenants{}
	}
	var r renderer
	switch format {
	case "table":
		t := newTable(w, opts)
		t.groups = g
		r = t
	case "json":
		j := newJSON(w)
		j.groups = g
		r = j
	case "jsonl":
		r = newJSONL(w)
	case "csv":
		c := newCSV(w)
		c.groups = g
		r = c
	case "junit":
		j := newJUnit(w, opts)
		j.groups = g
		r = j
	case "github":
		gh := newGitHub(w, opts)
		gh.groups = g
		if gh.md != nil {
			gh.md.groups = g
		}
		r = gh
	case "markdown":
		m := newMarkdown(w, opts, opts.MarkdownMaxBytes)
		m.groups = g
		r = m
	default:
		return nil, fmt.Errorf("report: unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	return &writer{r: r, format: format, groups: g}, nil
}

// WriteReport renders a whole report: its domains in order, then its summary.
func WriteReport(format string, w io.Writer, r *check.Report, opts Options) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	wr, err := New(format, w, opts)
	if err != nil {
		return err
	}
	for _, d := range r.Domains {
		if err := wr.WriteDomain(d); err != nil {
			return err
		}
	}
	return wr.Close(r.Summary)
}

type writer struct {
	mu     sync.Mutex
	r      renderer
	format string
	closed bool
	err    error // the first write error: later calls return it
	// groups tallies the domains by tenant (GroupByTenant), before each
	// is rendered; the renderers read it.
	groups *check.Tenants
}

func (w *writer) WriteDomain(d *check.DomainResult) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return fmt.Errorf("report: %s writer: domain written after Close", w.format)
	case w.err != nil:
		return w.err
	case d == nil:
		return fmt.Errorf("report: %s writer: nil domain result", w.format)
	}
	if w.groups != nil {
		w.groups.Add(d)
	}
	if err := w.r.domain(withoutNilChecks(d)); err != nil {
		w.err = fmt.Errorf("report: writing %s output for %s: %w", w.format, d.Domain, err)
		return w.err
	}
	return nil
}

func (w *writer) Close(s check.Summary) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("report: %s writer closed twice", w.format)
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.r.close(s); err != nil {
		return fmt.Errorf("report: writing %s output: %w", w.format, err)
	}
	return nil
}

// withoutNilChecks returns d, or a copy of it without its nil checks, so
// that renderers need not test for them.
func withoutNilChecks(d *check.DomainResult) *check.DomainResult {
	for i, c := range d.Checks {
		if c != nil {
			continue
		}
		out := *d
		out.Checks = append([]*check.CheckResult(nil), d.Checks[:i]...)
		for _, c := range d.Checks[i+1:] {
			if c != nil {
				out.Checks = append(out.Checks, c)
			}
		}
		return &out
	}
	return d
}

// safeResult returns a copy of d whose text is made safe for a terminal
// (Safe): for the formats whose encoders do not escape control characters
// themselves (JUnit XML carries bidi controls raw, and drops the other
// controls without a trace).
func safeResult(d *check.DomainResult) *check.DomainResult {
	out := *d
	out.Domain, out.Error = printable(d.Domain), printable(d.Error)
	out.Checks = make([]*check.CheckResult, len(d.Checks))
	for i, c := range d.Checks {
		cc := *c
		cc.Error = printable(c.Error)
		cc.Records = make([]string, len(c.Records))
		for j, r := range c.Records {
			cc.Records[j] = printable(r)
		}
		cc.Findings = make(finding.List, len(c.Findings))
		for j, f := range c.Findings {
			f.Message, f.Fix, f.Name, f.Code = printable(f.Message), printable(f.Fix), printable(f.Name), printable(f.Code)
			cc.Findings[j] = f
		}
		out.Checks[i] = &cc
	}
	return &out
}

// invalid reports whether d is an input that could not be checked at all
// (the same test as check.Summary.Add).
func invalid(d *check.DomainResult) bool { return d.Error != "" && len(d.Checks) == 0 }

// statusLabel is the status shown to people: the model's status, or
// "invalid" for an input that could not be checked.
func statusLabel(d *check.DomainResult) string {
	if invalid(d) {
		return "invalid"
	}
	if d.Status == "" {
		return "unknown"
	}
	return string(d.Status)
}

func checkLabel(c *check.CheckResult) string {
	if c.Status == "" {
		return "unknown"
	}
	return string(c.Status)
}

// shown reports whether a finding is shown in the human formats: info
// findings only when verbose.
func shown(f finding.Finding, verbose bool) bool { return verbose || f.Severity > finding.Info }

// counts tallies a domain's findings by severity; transient findings
// (could not find out) are counted apart, never as errors.
type counts struct{ errors, warnings, infos, transient int }

func countFindings(d *check.DomainResult) counts {
	var n counts
	for _, c := range d.Checks {
		for _, f := range c.Findings {
			switch {
			case f.Transient:
				n.transient++
			case f.Severity == finding.Error:
				n.errors++
			case f.Severity == finding.Warning:
				n.warnings++
			default:
				n.infos++
			}
		}
	}
	return n
}

// summaryLine is "3 domains: 1 pass, 1 warn, 1 fail, 0 error" (plus the
// invalid count when there are any).
func summaryLine(s check.Summary) string {
	noun := "domains"
	if s.Domains == 1 {
		noun = "domain"
	}
	line := fmt.Sprintf("%d %s: %d pass, %d warn, %d fail, %d error", s.Domains, noun, s.Pass, s.Warn, s.Fail, s.Error)
	if s.Invalid > 0 {
		line += fmt.Sprintf(", %d invalid", s.Invalid)
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// tenantLabel names a tenant for people: its id, or "(none)" for domains in
// no tenant's list.
func tenantLabel(id string) string {
	if id == "" {
		return "(none)"
	}
	return oneLine(printable(id))
}
