package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// JUnit XML, in the dialect CI systems read (Jenkins, GitLab, Azure DevOps,
// the GitHub test-report actions): a testsuite per domain, a testcase per
// check. No timestamps or durations, so the output is deterministic.

type junitSuite struct {
	XMLName    xml.Name        `xml:"testsuite"`
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemErr  string          `xml:"system-err,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

type junitWriter struct {
	w                                io.Writer
	opts                             Options
	suites                           bytes.Buffer // the rendered testsuites
	tests, failures, errors, skipped int
	// groups (GroupByTenant): a test suite per tenant, holding its
	// domains' cases, kept until Close.
	groups  *check.Tenants
	byTen   map[string]*junitSuite
	tenants []string
}

func newJUnit(w io.Writer, opts Options) *junitWriter { return &junitWriter{w: w, opts: opts} }

func (j *junitWriter) domain(d *check.DomainResult) error {
	s := junitSuiteFor(safeResult(d), j.opts)
	if j.groups != nil {
		if j.byTen == nil {
			j.byTen = map[string]*junitSuite{}
		}
		ts, ok := j.byTen[d.Tenant]
		if !ok {
			ts = &junitSuite{Name: "tenant " + printable(tenantLabel(d.Tenant))}
			j.byTen[d.Tenant] = ts
			j.tenants = append(j.tenants, d.Tenant)
		}
		ts.Tests += s.Tests
		ts.Failures += s.Failures
		ts.Errors += s.Errors
		ts.Skipped += s.Skipped
		ts.Cases = append(ts.Cases, s.Cases...)
		if s.SystemErr != "" {
			ts.SystemErr += d.Domain + ": " + s.SystemErr + "\n"
		}
		j.tests += s.Tests
		j.failures += s.Failures
		j.errors += s.Errors
		j.skipped += s.Skipped
		return nil
	}
	j.tests += s.Tests
	j.failures += s.Failures
	j.errors += s.Errors
	j.skipped += s.Skipped
	b, err := xml.MarshalIndent(s, "  ", "  ")
	if err != nil {
		return err
	}
	// XML replaces the control characters it cannot carry with U+FFFD;
	// what it can carry (bidi controls) is escaped here as well.
	j.suites.WriteString(printable(string(b)))
	j.suites.WriteByte('\n')
	return nil
}

func (j *junitWriter) close(check.Summary) error {
	for _, id := range j.tenants {
		ts := j.byTen[id]
		var status check.Status
		for _, x := range j.groups.List() {
			if x.Tenant == id {
				status = x.Status
			}
		}
		sum := j.groups.Summary(id)
		ts.Properties = []junitProperty{
			{Name: "tenant", Value: id},
			{Name: "status", Value: string(status)},
			{Name: "summary", Value: summaryLine(sum)},
		}
		b, err := xml.MarshalIndent(ts, "  ", "  ")
		if err != nil {
			return err
		}
		j.suites.WriteString(printable(string(b)))
		j.suites.WriteByte('\n')
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<testsuites name=\"emailauth\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n",
		j.tests, j.failures, j.errors, j.skipped)
	b.Write(j.suites.Bytes())
	b.WriteString("</testsuites>\n")
	_, err := j.w.Write(b.Bytes())
	return err
}

func junitSuiteFor(d *check.DomainResult, opts Options) junitSuite {
	s := junitSuite{
		Name:       d.Domain,
		Properties: []junitProperty{{Name: "status", Value: statusLabel(d)}},
	}
	class := "emailauth." + d.Domain
	if invalid(d) {
		s.Tests, s.Errors = 1, 1
		s.Cases = []junitCase{{
			Classname: class, Name: "input",
			Error: &junitProblem{Message: d.Error, Type: "invalid", Body: d.Error},
		}}
		return s
	}
	if d.Error != "" {
		s.SystemErr = d.Error
	}
	for _, c := range d.Checks {
		tc := junitCase{Classname: class, Name: c.Check}
		s.Tests++
		switch {
		case c.Status == check.StatusFail || c.Status == check.StatusWarn && opts.failOnWarning():
			s.Failures++
			least := finding.Error
			if opts.failOnWarning() {
				least = finding.Warning
			}
			msg, typ := problemSummary(c, least)
			tc.Failure = &junitProblem{Message: msg, Type: typ, Body: junitBody(c, "")}
		case c.Status == check.StatusError:
			s.Errors++
			msg := c.Error
			if msg == "" {
				msg = "the check could not complete"
			}
			tc.Error = &junitProblem{Message: msg, Type: "error", Body: junitBody(c, c.Error)}
		case c.Status == check.StatusSkip:
			s.Skipped++
			tc.Skipped = &junitSkipped{Message: c.Error}
		default: // pass, warn: passes, with its findings shown
			if len(c.Findings) > 0 {
				tc.SystemOut = junitBody(c, "")
			}
		}
		s.Cases = append(s.Cases, tc)
	}
	return s
}

// problemSummary returns a one-line message and a type (the code) for the
// findings of c at least as severe as least: the first one's message, and how
// many more there are.
func problemSummary(c *check.CheckResult, least finding.Severity) (msg, typ string) {
	var first *finding.Finding
	n := 0
	for i := range c.Findings {
		if c.Findings[i].Severity >= least {
			if first == nil {
				first = &c.Findings[i]
			}
			n++
		}
	}
	if first == nil {
		if c.Error != "" {
			return c.Error, ""
		}
		return c.Check + ": " + string(c.Status), ""
	}
	msg = first.Message
	if n > 1 {
		msg += fmt.Sprintf(" (and %d more)", n-1)
	}
	return msg, first.Code
}

// junitBody lists a check's problem (if any), findings with their fixes, and
// records, as plain text.
func junitBody(c *check.CheckResult, problem string) string {
	var b strings.Builder
	if problem != "" {
		b.WriteString(problem)
		b.WriteString("\n")
	}
	for _, f := range c.Findings {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s: %s\n", f.Severity, f.Code, f.Message)
		if f.Name != "" {
			fmt.Fprintf(&b, "  name: %s\n", f.Name)
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "  fix: %s\n", indentLines(f.Fix, "       "))
		}
	}
	if len(c.Records) > 0 && c.Status != check.StatusPass && c.Status != check.StatusWarn {
		b.WriteString("\nrecords:\n")
		for _, r := range c.Records {
			fmt.Fprintf(&b, "  %s\n", indentLines(r, "  "))
		}
	}
	return b.String()
}

// indentLines indents every line of s but the first.
func indentLines(s, indent string) string {
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}
