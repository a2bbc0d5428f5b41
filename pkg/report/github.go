package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// githubWriter writes GitHub Actions workflow commands, streamed: per
// domain a collapsible group with a line per check and an annotation
// (::error, ::warning, ::notice) per finding; at Close the summary line,
// and the markdown report to Options.StepSummary.
//
// Every piece of text from the report is escaped, so a record or message
// cannot end the line and start a workflow command of its own.
type githubWriter struct {
	w    io.Writer
	opts Options
	md   *markdownWriter
	buf  bytes.Buffer
	// annotations counts the annotations written, by level: GitHub shows
	// only the first ghAnnotationsShown of each level in a step.
	annotations map[string]int
	// groups (GroupByTenant): groups named with the tenant, and a summary
	// line per tenant at Close.
	groups *check.Tenants
}

// ghAnnotationsShown is how many annotations of one level GitHub shows per
// step (and 50 per job); the others are in the log only.
const ghAnnotationsShown = 10

func newGitHub(w io.Writer, opts Options) *githubWriter {
	g := &githubWriter{w: w, opts: opts, annotations: map[string]int{}}
	if opts.StepSummary != nil {
		limit := opts.MarkdownMaxBytes
		if limit <= 0 || limit > stepSummaryMaxBytes {
			limit = stepSummaryMaxBytes
		}
		g.md = newMarkdown(opts.StepSummary, opts, limit)
	}
	return g
}

var (
	ghDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// ghData escapes the data (message) of a workflow command.
func ghData(s string) string { return ghDataEscaper.Replace(s) }

// ghProperty escapes a property value of a workflow command.
func ghProperty(s string) string { return ghPropertyEscaper.Replace(s) }

func (g *githubWriter) annotate(level, title, msg string) {
	g.annotations[level]++
	fmt.Fprintf(&g.buf, "::%s title=%s::%s\n", level, ghProperty(oneLine(printable(title))), ghData(printable(msg)))
}

func (g *githubWriter) level(s finding.Severity) string {
	switch {
	case s == finding.Error, s == finding.Warning && g.opts.failOnWarning():
		return "error"
	case s == finding.Warning:
		return "warning"
	}
	return "notice"
}

func (g *githubWriter) domain(d *check.DomainResult) error {
	g.buf.Reset()
	label := statusLabel(d)
	if g.groups != nil {
		fmt.Fprintf(&g.buf, "::group::tenant %s: %s: %s\n", ghData(tenantLabel(d.Tenant)), ghData(oneLine(d.Domain)), label)
	} else {
		fmt.Fprintf(&g.buf, "::group::%s: %s\n", ghData(oneLine(d.Domain)), label)
	}
	if invalid(d) {
		g.annotate("error", d.Domain, "not checked: "+d.Error)
	} else if d.Error != "" {
		g.annotate("warning", d.Domain, d.Error)
	}
	for _, c := range d.Checks {
		st := checkLabel(c)
		fmt.Fprintf(&g.buf, "%s %-8s %s\n", tableMark(st), oneLine(printable(c.Check)), st)
		if c.Status == check.StatusError {
			msg := "could not complete"
			if c.Error != "" {
				msg += ": " + c.Error
			}
			g.annotate("error", d.Domain+" "+c.Check, msg)
		}
		for _, f := range c.Findings {
			if !shown(f, g.opts.Verbose) {
				continue
			}
			msg := f.Message
			if f.Name != "" {
				msg += "\nname: " + f.Name
			}
			if f.Fix != "" {
				msg += "\nfix: " + f.Fix
			}
			g.annotate(g.level(f.Severity), d.Domain+" "+f.Code, msg)
		}
	}
	g.buf.WriteString("::endgroup::\n")
	if _, err := g.w.Write(g.buf.Bytes()); err != nil {
		return err
	}
	if g.md != nil {
		return g.md.domain(d)
	}
	return nil
}

func (g *githubWriter) close(s check.Summary) error {
	g.buf.Reset()
	var over []string
	for _, level := range []string{"error", "warning", "notice"} {
		if n := g.annotations[level]; n > ghAnnotationsShown {
			over = append(over, fmt.Sprintf("%d %s annotations", n, level))
		}
	}
	if len(over) > 0 {
		where := "the log"
		if g.md != nil {
			where = "the step summary and the log"
		}
		g.annotate("notice", "emailauth", fmt.Sprintf("%s: GitHub shows %d of each level per step; %s have all of them",
			strings.Join(over, ", "), ghAnnotationsShown, where))
	}
	if g.groups != nil {
		for _, ts := range g.groups.List() {
			fmt.Fprintf(&g.buf, "emailauth: tenant %s: %s\n", ghData(tenantLabel(ts.Tenant)), summaryLine(ts.Summary))
		}
	}
	fmt.Fprintf(&g.buf, "emailauth: %s\n", summaryLine(s))
	if _, err := g.w.Write(g.buf.Bytes()); err != nil {
		return err
	}
	if g.md != nil {
		if err := g.md.close(s); err != nil {
			return fmt.Errorf("step summary: %w", err)
		}
	}
	return nil
}
