package reports

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport/ingest"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/tlsrpt/tlsreport"
)

// Everything here is written by strangers: reporter names, report IDs,
// domains, From domains, PTR names, MX names, header fields. The tables
// go through report.Grid, which makes every cell safe and keeps it on its
// line; every other line is written through the Term with each value
// passed through report.SafeLine.

// write prints res in the chosen format.
func write(f *cmdutil.Factory, opts *Options, res *Result) error {
	switch f.Global.Output {
	case "json":
		return cmdutil.WriteJSON(f.IO.Out, res)
	case "csv":
		return writeCSV(f.IO.Out, opts, res)
	}
	return writeTable(f, opts, res)
}

// renderer writes the table view.
type renderer struct {
	t       *report.Term
	opts    *Options
	res     *Result
	quiet   bool
	tenants bool
	err     error
	first   bool
}

func writeTable(f *cmdutil.Factory, opts *Options, res *Result) error {
	r := &renderer{t: f.IO.Term(), opts: opts, res: res, quiet: f.IO.Quiet, tenants: opts.TenantsFile != "", first: true}
	if !r.quiet {
		r.t.Printf("%s\n", r.headline())
	}
	if r.tenants && len(res.Tenants) > 0 {
		r.tenantTable()
	}
	if res.DMARC != nil && len(res.DMARC.Domains) > 0 {
		if opts.Readiness {
			r.readiness()
		} else {
			r.dmarc()
		}
	}
	if res.Failures != nil && res.Failures.Reports > 0 {
		r.failures()
		if !opts.ShowHeaders && !r.quiet && len(res.FailureReports) > 0 {
			f.IO.Notef("failure reports may carry personal data: their addresses and original header fields are left out (--show-headers shows them)")
		}
	}
	if res.TLS != nil && len(res.TLS.Domains) > 0 {
		r.tls()
	}
	return r.err
}

// section starts a block of output: a blank line between blocks.
func (r *renderer) section() {
	if !r.first || !r.quiet {
		r.t.Printf("\n")
	}
	r.first = false
}

// heading writes a section heading (left out with -q).
func (r *renderer) heading(format string, args ...any) {
	r.section()
	if !r.quiet {
		r.t.Printf("%s\n", r.t.Style(report.StyleBold, report.SafeLine(fmt.Sprintf(format, args...))))
	}
}

func (r *renderer) grid(header []string, rows [][]string) { r.gridIndent("", header, rows) }

// gridIndent writes a grid with every line indented (the cells are made
// safe by report.Grid, and the lines go through the Term).
func (r *renderer) gridIndent(indent string, header []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	if indent == "" {
		if err := report.Grid(r.t, header, rows); err != nil && r.err == nil {
			r.err = err
		}
		return
	}
	var b strings.Builder
	if err := report.Grid(&b, header, rows); err != nil {
		if r.err == nil {
			r.err = err
		}
		return
	}
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			r.t.Printf("%s%s", indent, line)
		}
	}
}

// more says how many rows the table left out.
func (r *renderer) more(n int, what string) {
	if n > 0 {
		r.t.Printf("(and %d more %s: --top 0 lists all)\n", n, what)
	}
}

// top caps a list's length for the table.
func (r *renderer) top(n int) int {
	if r.opts.Top == 0 || n < r.opts.Top {
		return n
	}
	return r.opts.Top
}

func (r *renderer) headline() string {
	s := r.res.Stats
	var parts []string
	for _, k := range r.res.Kinds {
		switch k {
		case ingest.KindAggregate:
			parts = append(parts, plural(s.Aggregate, "aggregate report"))
		case ingest.KindFailure:
			parts = append(parts, plural(s.Failure, "failure report"))
		case ingest.KindTLS:
			parts = append(parts, plural(s.TLS, "TLS report"))
		}
	}
	line := "read " + strings.Join(parts, ", ")
	var extra []string
	if s.Duplicates > 0 {
		extra = append(extra, plural(s.Duplicates, "duplicate")+" counted once")
	}
	if r.res.OtherKinds > 0 {
		extra = append(extra, plural(r.res.OtherKinds, "report")+" of other kinds skipped")
	}
	if s.NotReports > 0 {
		what := " skipped (not reports)"
		if s.NotReports == 1 {
			what = " skipped (not a report)"
		}
		extra = append(extra, plural(s.NotReports, "input")+what)
	}
	if s.Errors > 0 {
		extra = append(extra, plural(s.Errors, "input")+" unreadable")
	}
	if s.Warnings > 0 {
		extra = append(extra, plural(s.Warnings, "quirk warning"))
	}
	if len(extra) > 0 {
		line += "; " + strings.Join(extra, "; ")
	}
	return line
}

func (r *renderer) tenantTable() {
	r.heading("Tenants")
	wants := func(k ingest.Kind) bool { return slices.Contains(r.res.Kinds, k) }
	header := []string{"TENANT", "DOMAINS"}
	if wants(ingest.KindAggregate) {
		header = append(header, "MESSAGES", "DMARC FAIL", "LEGITIMATE PASSING", "VERDICTS")
	}
	if wants(ingest.KindTLS) {
		header = append(header, "TLS OK", "TLS FAILED")
	}
	if wants(ingest.KindFailure) {
		header = append(header, "FAILURE REPORTS")
	}
	header = append(header, "STATUS")
	rows := [][]string{}
	for _, t := range r.res.Tenants {
		row := []string{tenantName(t.Tenant), strconv.Itoa(len(t.Domains))}
		if wants(ingest.KindAggregate) {
			verdicts := make([]string, 0, len(t.Verdicts))
			for v, n := range t.Verdicts {
				verdicts = append(verdicts, fmt.Sprintf("%s %d", v, n))
			}
			sort.Strings(verdicts)
			row = append(row, i64(t.Messages), i64(t.DMARCFail), share(t.PassShare, t.Messages > 0), orDash(strings.Join(verdicts, ", ")))
		}
		if wants(ingest.KindTLS) {
			row = append(row, i64(t.TLSSuccessful), i64(t.TLSFailed))
		}
		if wants(ingest.KindFailure) {
			row = append(row, strconv.Itoa(t.FailureReports))
		}
		rows = append(rows, append(row, string(t.Status)))
	}
	r.grid(header, rows)
}

// domainsInOrder returns the DMARC domains, grouped by tenant when there
// are tenants (the analysis's order, failing first, within each).
func (r *renderer) domainsInOrder() []aggregate.DomainAnalysis {
	ds := append([]aggregate.DomainAnalysis(nil), r.res.DMARC.Domains...)
	if r.tenants {
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Tenant < ds[j].Tenant })
	}
	return ds
}

func (r *renderer) dmarcOverview(ds []aggregate.DomainAnalysis) {
	var msgs, fail int64
	for _, d := range ds {
		msgs, fail = msgs+d.Messages, fail+d.DMARCFail
	}
	r.heading("DMARC aggregate reports: %s, %s, %d failing DMARC", plural(len(ds), "domain"), plural64(msgs, "message"), fail)
	header := []string{"DOMAIN"}
	if r.tenants {
		header = append(header, "TENANT")
	}
	header = append(header, "POLICY", "PERIOD", "DAYS", "REPORTS", "MESSAGES", "DMARC PASS", "SOURCES", "FAILING", "VERDICT", "STATUS")
	rows := [][]string{}
	for _, d := range ds {
		failing := 0
		for _, s := range d.Sources {
			if s.DMARCFail > 0 {
				failing++
			}
		}
		row := []string{display(d.Domain)}
		if r.tenants {
			row = append(row, tenantName(d.Tenant))
		}
		row = append(row, d.Readiness.StepName, period(d.Begin, d.End), fmt.Sprintf("%.1f", d.Readiness.Days), strconv.Itoa(d.Reports), i64(d.Messages),
			share(ratio(d.DMARCPass, d.Messages), d.Messages > 0), strconv.Itoa(len(d.Sources)), strconv.Itoa(failing), string(d.Readiness.Verdict), string(d.Status))
		rows = append(rows, row)
	}
	r.grid(header, rows)
}

func (r *renderer) dmarc() {
	ds := r.domainsInOrder()
	r.dmarcOverview(ds)
	ptr := r.opts.Resolve
	for _, d := range ds {
		r.section()
		reporters := make([]string, 0, len(d.Reporters))
		for i, rp := range d.Reporters {
			if i == 5 {
				reporters = append(reporters, fmt.Sprintf("%d more", len(d.Reporters)-5))
				break
			}
			reporters = append(reporters, fmt.Sprintf("%s (%d)", report.SafeLine(rp.Name), rp.Reports))
		}
		r.t.Printf("%s %s: %s, %s from %s, %s\n", r.t.Style(report.StyleBold, report.SafeLine(display(d.Domain))), r.t.Style(report.StatusStyle(string(d.Status)), report.SafeLine(string(d.Status))),
			report.SafeLine(d.Readiness.StepName), plural(d.Reports, "report"), strings.Join(reporters, ", "), period(d.Begin, d.End))
		header := []string{"SOURCE IP"}
		if ptr {
			header = append(header, "PTR")
		}
		header = append(header, "MESSAGES", "DMARC PASS", "SPF ALIGNED", "DKIM ALIGNED", "DISPOSITION", "CLASS", "ACTION", "FROM")
		n := r.top(len(d.Sources))
		rows := [][]string{}
		for _, s := range d.Sources[:n] {
			row := []string{s.SourceIP}
			if ptr {
				row = append(row, orDash(s.PTR))
			}
			row = append(row, i64(s.Messages), share(s.DMARCPassRate, s.Messages > 0), share(ratio(s.SPFAligned, s.Messages), s.Messages > 0),
				share(ratio(s.DKIMAligned, s.Messages), s.Messages > 0), dispositions(s.Disposition), string(s.Class), string(s.Action), strings.Join(s.HeaderFrom, ","))
			rows = append(rows, row)
		}
		r.grid(header, rows)
		r.more(len(d.Sources)-n, "sources")
		report.WriteFindings(r.t, d.Findings, "", r.quiet)
	}
}

// readiness writes the readiness view: per domain the verdict, the
// figures behind it, the sources an enforcing policy would hurt and the
// record to publish next. With -q, one line per domain.
func (r *renderer) readiness() {
	ds := r.domainsInOrder()
	if r.quiet {
		r.section()
		for _, d := range ds {
			rd := d.Readiness
			rest := ""
			if rd.Next != nil {
				rest = ": publish " + report.SafeLine(dmarc.ZoneLine("_dmarc."+d.Domain+".", 3600, rd.Next.Record))
			} else if len(rd.Reasons) > 0 {
				rest = ": " + report.SafeLine(strings.Join(rd.Reasons, "; "))
			}
			r.t.Printf("%s: %s at %s%s\n", report.SafeLine(display(d.Domain)), r.t.Style(verdictStyle(rd.Verdict), report.SafeLine(string(rd.Verdict))), report.SafeLine(rd.StepName), rest)
		}
		return
	}
	r.dmarcOverview(ds)
	th := r.res.DMARC.Thresholds
	r.t.Printf("thresholds: %s to judge over %g days; p=quarantine steps need %s passing DMARC, p=reject steps %s and %s with aligned DKIM; %g days at p=none and p=quarantine, %g at a t=y step\n",
		plural64(th.MinMessages, "legitimate-looking message"), th.MinDays, pct(th.QuarantineShare), pct(th.RejectShare), pct(th.RejectDKIMShare), th.StepDays, th.TestingDays)
	for _, d := range ds {
		rd := d.Readiness
		r.section()
		r.t.Printf("%s: %s at %s\n", r.t.Style(report.StyleBold, report.SafeLine(display(d.Domain))), r.t.Style(verdictStyle(rd.Verdict), report.SafeLine(string(rd.Verdict))), report.SafeLine(rd.StepName))
		r.t.Printf("  legitimate-looking mail: %s over %.1f days (%.1f at %s); %s pass DMARC, %s with aligned DKIM\n",
			plural64(rd.LegitimateMessages, "message"), rd.Days, rd.DaysAtStep, report.SafeLine(rd.StepName), share(rd.PassShare, rd.LegitimateMessages > 0), share(rd.DKIMShare, rd.LegitimateMessages > 0))
		for _, why := range rd.Reasons {
			r.t.Printf("  - %s\n", report.SafeLine(why))
		}
		if len(rd.AtRisk) > 0 {
			r.t.Printf("  sources an enforcing policy would hurt:\n")
			n := r.top(len(rd.AtRisk))
			rows := [][]string{}
			for _, s := range rd.AtRisk[:n] {
				rows = append(rows, []string{s.SourceIP, orDash(s.PTR), i64(s.Failing), i64(s.Messages), string(s.Action)})
			}
			r.gridIndent("  ", []string{"SOURCE IP", "PTR", "FAILING", "MESSAGES", "ACTION"}, rows)
			r.more(len(rd.AtRisk)-n, "sources")
		}
		if rd.Next != nil {
			when := "next"
			if rd.Verdict == aggregate.VerdictHold {
				when = "then"
			}
			r.t.Printf("  %s: %s\n", when, report.SafeLine(rd.Next.Name))
			r.t.Printf("    publish: %s\n", report.SafeLine(dmarc.ZoneLine("_dmarc."+d.Domain+".", 3600, rd.Next.Record)))
			for _, n := range rd.Next.Notes {
				r.t.Printf("    note: %s\n", report.SafeLine(n))
			}
		}
		report.WriteFindings(r.t, d.Findings, "  ", false)
	}
}

func (r *renderer) failures() {
	s := r.res.Failures
	var incidents int64
	for _, d := range s.Domains {
		incidents += d.Incidents
	}
	r.heading("DMARC failure reports: %s, %s, %s", plural(s.Reports, "report"), plural64(incidents, "incident"), plural(len(s.Domains), "domain"))
	header := []string{"DOMAIN"}
	if r.tenants {
		header = append(header, "TENANT")
	}
	header = append(header, "REPORTS", "INCIDENTS", "FIRST", "LAST", "SOURCES", "FAILED", "DELIVERY", "REPORTERS")
	rows := [][]string{}
	for _, d := range s.Domains {
		row := []string{display(d.Domain)}
		if r.tenants {
			row = append(row, tenantName(d.Tenant))
		}
		srcs := make([]string, 0, 3)
		for i, sc := range d.Sources {
			if i == 3 {
				srcs = append(srcs, fmt.Sprintf("%d more", len(d.Sources)-3))
				break
			}
			srcs = append(srcs, fmt.Sprintf("%s (%d)", sc.SourceIP, sc.Incidents))
		}
		row = append(row, strconv.Itoa(d.Reports), i64(d.Incidents), date(d.First), date(d.Last), orDash(strings.Join(srcs, ", ")),
			counts(d.AuthFailures), counts(d.DeliveryResults), orDash(strings.Join(d.Reporters, ", ")))
		rows = append(rows, row)
	}
	r.grid(header, rows)

	reps := r.res.FailureReports
	if len(reps) == 0 {
		return
	}
	r.section()
	n := r.top(len(reps))
	rows = [][]string{}
	for _, rep := range reps[:n] {
		dkim := ""
		if rep.DKIMDomain != "" {
			dkim = "d=" + rep.DKIMDomain
			if rep.DKIMSelector != "" {
				dkim += " s=" + rep.DKIMSelector
			}
		}
		when := rep.ArrivalDate
		if when.IsZero() {
			when = rep.Date
		}
		rows = append(rows, []string{dateTime(when), orDash(rep.Reporter), orDash(display(rep.ReportedDomain)), orDash(rep.SourceIP), orDash(strings.Join(rep.AuthFailure, ",")),
			orDash(strings.Join(rep.IdentityAlignment, ",")), orDash(rep.DeliveryResult), orDash(dkim), orDash(rep.OriginalMailFromDomain), orDash(rep.HeaderFromDomain), rep.Format})
	}
	r.grid([]string{"DATE", "REPORTER", "DOMAIN", "SOURCE IP", "FAILED", "ALIGNED", "DELIVERY", "DKIM", "MAIL FROM", "FROM", "FORMAT"}, rows)
	r.more(len(reps)-n+r.res.FailureReportsUnlisted, "failure reports")
	if !r.opts.ShowHeaders {
		return
	}
	for _, rep := range reps[:n] {
		r.section()
		p := rep.Personal
		r.t.Printf("%s %s from %s (%s)\n", r.t.Style(report.StyleBold, "failure report"), report.SafeLine(orDash(rep.ReportID)), report.SafeLine(orDash(rep.Reporter)), report.SafeLine(rep.Source))
		if p == nil {
			r.t.Printf("  (no personal data in the report)\n")
			continue
		}
		field := func(name, value string) {
			if value != "" {
				r.t.Printf("  %s: %s\n", name, report.SafeLine(value))
			}
		}
		field("Original-Mail-From", p.OriginalMailFrom)
		field("Original-Rcpt-To", strings.Join(p.OriginalRcptTo, ", "))
		field("Original-Envelope-Id", p.OriginalEnvelopeID)
		field("DKIM-Identity", p.DKIMIdentity)
		field("Authentication-Results", p.AuthenticationResults)
		if len(p.Headers) > 0 {
			r.t.Printf("  original header (%s):\n", plural(len(p.Headers), "field"))
			for _, h := range p.Headers {
				r.t.Printf("    %s: %s\n", report.SafeLine(h.Name), report.SafeLine(h.Value))
			}
		} else if rep.Original == "" {
			r.t.Printf("  (the report does not include the original header)\n")
		}
	}
}

func (r *renderer) tls() {
	s := r.res.TLS
	var ok, failed int64
	for _, d := range s.Domains {
		ok, failed = ok+d.Successful, failed+d.Failed
	}
	r.heading("SMTP TLS reports: %s, %s, %d successful and %d failed sessions", plural(s.Reports, "report"), plural(len(s.Domains), "policy domain"), ok, failed)
	header := []string{"DOMAIN"}
	if r.tenants {
		header = append(header, "TENANT")
	}
	header = append(header, "POLICY", "MODE", "SUCCESSFUL", "FAILED", "FAILURE RATE", "PERIOD", "REPORTERS", "STATUS")
	rows := [][]string{}
	domains := append([]tlsreport.DomainSummary(nil), s.Domains...)
	if r.tenants {
		sort.SliceStable(domains, func(i, j int) bool { return domains[i].Tenant < domains[j].Tenant })
	}
	for _, d := range domains {
		for i, p := range d.Policies {
			row := []string{""}
			if i == 0 {
				row[0] = orNoDomain(d.Domain)
			}
			if r.tenants {
				t := ""
				if i == 0 {
					t = tenantName(d.Tenant)
				}
				row = append(row, t)
			}
			per, reporters, status := "", "", ""
			if i == 0 {
				per, reporters, status = period(d.Begin, d.End), strings.Join(d.Reporters, ", "), string(d.Status)
			}
			row = append(row, p.Type, orDash(p.Mode), i64(p.Successful), i64(p.Failed), share(p.FailureRate, p.Successful+p.Failed > 0), per, reporters, status)
			rows = append(rows, row)
		}
	}
	r.grid(header, rows)
	for _, d := range domains {
		if len(d.Failures) == 0 && !r.anyShown(d.Findings) {
			continue
		}
		r.section()
		r.t.Printf("%s %s: %s\n", r.t.Style(report.StyleBold, report.SafeLine(orNoDomain(d.Domain))), r.t.Style(report.StatusStyle(string(d.Status)), report.SafeLine(string(d.Status))),
			plural64(d.Failed, "failed session"))
		n := r.top(len(d.Failures))
		rows := [][]string{}
		for _, g := range d.Failures[:n] {
			mx := orDash(g.ReceivingMX)
			if g.NotInPolicy {
				mx += " (not in policy)"
			}
			rows = append(rows, []string{g.ResultType, g.PolicyType, mx, orDash(g.ReceivingIP), i64(g.Sessions), orDash(strings.Join(g.SendingMTAs, ", ")),
				orDash(strings.Join(g.ReasonCodes, ", ")), strings.Join(g.Reporters, ", ")})
		}
		r.grid([]string{"RESULT TYPE", "POLICY", "RECEIVING MX", "RECEIVING IP", "SESSIONS", "SENDING MTAS", "REASON", "REPORTERS"}, rows)
		r.more(len(d.Failures)-n, "failure groups")
		if d.OtherFailed > 0 {
			r.t.Printf("(%s in groups over the analysis limit)\n", plural64(d.OtherFailed, "failed session"))
		}
		report.WriteFindings(r.t, d.Findings, "", r.quiet)
	}
}

// anyShown reports whether WriteFindings would write one of fs (with -q,
// only warnings and errors).
func (r *renderer) anyShown(fs finding.List) bool {
	for _, f := range fs {
		if !r.quiet || f.Severity >= finding.Warning {
			return true
		}
	}
	return false
}

func verdictStyle(v aggregate.Verdict) report.Style {
	switch v {
	case aggregate.VerdictReady, aggregate.VerdictEnforced:
		return report.StylePass
	case aggregate.VerdictNotReady:
		return report.StyleFail
	}
	return report.StyleWarn
}

// display shows a domain in A-labels, with its U-label form beside it
// when they differ.
func display(ascii string) string {
	if ascii == "" {
		return ""
	}
	return dns.Domain{ASCII: ascii, Unicode: dns.UnicodeName(ascii)}.Display()
}

// orNoDomain names a domain, or says there is none (a TLS report policy
// without a policy-domain).
func orNoDomain(d string) string {
	if d == "" {
		return "(no policy domain)"
	}
	return display(d)
}

func tenantName(t string) string {
	if t == "" {
		return "(none)"
	}
	return t
}

func dispositions(d aggregate.Dispositions) string {
	var parts []string
	for _, x := range []struct {
		name string
		n    int64
	}{{"none", d.None}, {"quarantine", d.Quarantine}, {"reject", d.Reject}, {"other", d.Other}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", x.name, x.n))
		}
	}
	return orDash(strings.Join(parts, ", "))
}

// counts formats a map of counts, largest first.
func counts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return orDash(strings.Join(parts, ", "))
}

func period(begin, end time.Time) string {
	if begin.IsZero() && end.IsZero() {
		return "-"
	}
	b, e := date(begin), date(end)
	if b == e {
		return b
	}
	return b + " to " + e
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func dateTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// share formats a share as a percentage, or "-" when there is nothing to
// share.
func share(f float64, any bool) string {
	if !any {
		return "-"
	}
	return pct(f)
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func plural(n int, what string) string { return plural64(int64(n), what) }

func plural64(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.FormatInt(n, 10) + " " + what + "s"
}
