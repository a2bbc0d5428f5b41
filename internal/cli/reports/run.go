package reports

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/dmarc/failure"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport"
	"github.com/penguinmails/emailauth/pkg/mailreport/ingest"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/tlsrpt/tlsreport"
)

// Schema names the JSON document's format.
const Schema = "emailauth.reports/v1"

// Result is what the commands print: the digest of the reports read, the
// failure reports one by one (the digest only counts them), and the run's
// tally of domain statuses. It is the JSON document.
type Result struct {
	Schema string `json:"schema"`
	// Kinds are the kinds of report read (all three unless --kind).
	Kinds []ingest.Kind `json:"kinds"`
	Stats ingest.Stats  `json:"stats"`
	// OtherKinds counts reports of a kind --kind left out.
	OtherKinds int `json:"other_kinds,omitempty"`
	// Errors are the inputs that could not be read (and, with not_report,
	// the inputs that are no report), Warnings the quirks reports were
	// read despite.
	Errors   []ingest.InputError  `json:"errors"`
	Warnings []mailreport.Warning `json:"warnings"`
	DMARC    *aggregate.Analysis  `json:"dmarc,omitempty"`
	TLS      *tlsreport.Summary   `json:"tls,omitempty"`
	Failures *failure.Summary     `json:"failures,omitempty"`
	// FailureReports lists the failure reports read (duplicates left
	// out), at most MaxFailureReports; FailureReportsUnlisted counts the
	// others.
	FailureReports         []*failure.Report `json:"failure_reports,omitempty"`
	FailureReportsUnlisted int               `json:"failure_reports_unlisted,omitempty"`
	// Tenants rolls the kinds up per tenant (with --tenants).
	Tenants []ingest.TenantDigest `json:"tenants,omitempty"`
	// Lookups counts what --resolve asked and what could not be answered.
	Lookups *Lookups `json:"lookups,omitempty"`
	// Status is the worst status of the domains; Summary counts them.
	Status  finding.Status `json:"status"`
	Summary finding.Tally  `json:"summary"`
}

// Lookups are the DNS lookups --resolve made.
type Lookups struct {
	PTR        int `json:"ptr"`
	PTRErrors  int `json:"ptr_errors"`
	DMARC      int `json:"dmarc"`
	DMARCFound int `json:"dmarc_found"`
	// DMARCErrors are lookups that got no answer (timeout, SERVFAIL).
	DMARCErrors int `json:"dmarc_errors"`
}

// MaxFailureReports bounds the failure reports listed one by one.
const MaxFailureReports = 1000

// maxRecordLookups bounds the DMARC records --resolve looks up.
const maxRecordLookups = 200

// Run reads the reports, prints the result in the chosen format and
// returns the exit code's error.
func Run(f *cmdutil.Factory, opts *Options) error {
	ctx := f.Ctx()
	var tenants map[string]string
	opts.TenantsFile = tenantsFile(f, opts.TenantsFile)
	if opts.TenantsFile != "" {
		t, err := loadTenants(opts.TenantsFile)
		if err != nil {
			return err
		}
		tenants = t
	}
	var resolver dns.Resolver
	if opts.Resolve {
		r, err := f.Resolver()
		if err != nil {
			return err
		}
		resolver = r
	}
	current := map[string]string{}
	col := ingest.NewCollector(ingest.CollectorOptions{
		DMARC: aggregate.AnalyzerOptions{
			Thresholds: opts.Thresholds, Abusive: opts.Abusive, CurrentRecords: current,
			SkipTesting: opts.SkipTesting, OmitPct: opts.OmitPct, RequireReady: opts.RequireReady,
		},
		Tenants:   tenants,
		MaxListed: 1000,
	})
	rd := ingest.NewReader(ingest.Options{Limits: opts.Limits, ShowHeaders: opts.ShowHeaders, Stdin: f.IO.In})

	named := map[string]bool{}
	for _, in := range opts.Inputs {
		named[in] = true
	}
	res := &Result{Schema: Schema, Kinds: opts.Kinds}
	if len(res.Kinds) == 0 {
		res.Kinds = []ingest.Kind{ingest.KindAggregate, ingest.KindFailure, ingest.KindTLS}
	}
	var (
		invalid, skipped int
		tooLarge         bool
		domains          = map[string]bool{}
		domainOrder      []string
	)
	prog := &progress{io: f.IO, on: f.IO.StderrTTY && !f.IO.Quiet && f.IO.Verbosity == 0}
	defer prog.done()
	for it := range rd.Read(ctx, opts.Inputs...) {
		prog.tick()
		if it.Err != nil {
			// Input that is no report is skipped inside a directory or a
			// mailbox; a file the user named must be a report.
			if it.NotReport() && !named[it.Source] {
				skipped++
				col.Add(it)
				f.IO.Verbosef(1, "%s (skipped)", report.SafeLine(it.Err.Error()))
				continue
			}
			col.Add(it)
			tooLarge = tooLarge || errors.Is(it.Err, mailreport.ErrTooLarge)
			prog.clear()
			if opts.KeepGoing {
				f.IO.Warnf("%s", report.SafeLine(it.Err.Error()))
			} else {
				invalid++
				f.IO.Errorf("emailauth: %s", report.SafeLine(it.Err.Error()))
			}
			continue
		}
		if !opts.Wants(it.Kind) {
			res.OtherKinds++
			f.IO.Verbosef(1, "%s: %s (skipped: %s)", report.SafeLine(it.Source), kindName(it.Kind), otherKinds(opts))
			continue
		}
		if len(it.Warnings()) > 0 {
			prog.clear()
		}
		for _, w := range it.Warnings() {
			f.IO.Warnf("%s: %s (%s)", report.SafeLine(w.Source), report.SafeLine(w.Message), report.SafeLine(string(w.Quirk)))
		}
		if it.Duplicate {
			f.IO.Verbosef(1, "%s: a duplicate (same reporter and report ID), counted once", report.SafeLine(it.Source))
		} else {
			f.IO.Verbosef(1, "%s", describe(it))
		}
		col.Add(it)
		if it.Duplicate {
			continue
		}
		switch {
		case it.Aggregate != nil:
			if d := it.Aggregate.Policy.Domain; !domains[d] && len(domains) < 100_000 {
				domains[d] = true
				domainOrder = append(domainOrder, d)
			}
		case it.Failure != nil:
			if len(res.FailureReports) < MaxFailureReports {
				res.FailureReports = append(res.FailureReports, it.Failure)
			} else {
				res.FailureReportsUnlisted++
			}
		}
	}
	prog.done()
	interrupted := ctx.Err() != nil

	var lookupTally finding.Tally
	if opts.Resolve && !interrupted {
		res.Lookups = &Lookups{}
		lookupRecords(ctx, resolver, domainOrder, current, res.Lookups)
		for range res.Lookups.DMARCErrors {
			lookupTally.Add(finding.StatusError)
		}
	}
	var ro aggregate.ResultOptions
	if opts.Resolve && !interrupted {
		ro.Resolver = resolver
	}
	d := col.Result(ctx, ro)
	res.Stats, res.Errors, res.Warnings, res.Tenants = d.Stats, d.Errors, d.Warnings, d.Tenants
	if opts.Wants(ingest.KindAggregate) {
		res.DMARC = d.DMARC
	}
	if opts.Wants(ingest.KindTLS) {
		res.TLS = d.TLS
	}
	if opts.Wants(ingest.KindFailure) {
		res.Failures = d.Failures
	}
	if res.Lookups != nil {
		res.Lookups.PTR, res.Lookups.PTRErrors = d.DMARC.PTRLookups, d.DMARC.PTRErrors
		for range d.DMARC.PTRErrors {
			lookupTally.Add(finding.StatusError)
		}
	}
	for _, x := range d.DMARC.Domains {
		res.Summary.Add(x.Status)
	}
	for _, x := range d.TLS.Domains {
		res.Summary.Add(x.Status)
	}
	for range invalid {
		res.Summary.AddInvalid()
	}
	if interrupted {
		res.Summary.NotChecked++
	}
	res.Status = res.Summary.Status()

	read := d.Stats.Aggregate + d.Stats.Failure + d.Stats.TLS + d.Stats.Duplicates
	if read == 0 && !interrupted {
		return nothingRead(f, opts, invalid, d.Stats.Errors, d.Stats.NotReports, res.OtherKinds, tooLarge)
	}
	if err := write(f, opts, res); err != nil {
		return err
	}
	if !f.IO.Quiet {
		if skipped > 0 {
			what := "not reports"
			if skipped == 1 {
				what = "not a report"
			}
			f.IO.Notef("%s skipped: %s (-v names them)", plural(skipped, "input"), what)
		}
		if res.OtherKinds > 0 {
			f.IO.Notef("%s of other kinds skipped (%s)", plural(res.OtherKinds, "report"), otherKinds(opts))
		}
		if l := res.Lookups; l != nil && l.PTRErrors+l.DMARCErrors > 0 {
			f.IO.Notef("%d reverse DNS and %d DMARC record lookups got no answer (timeout, SERVFAIL): those names are missing", l.PTRErrors, l.DMARCErrors)
		}
		if interrupted {
			f.IO.Notef("interrupted: the figures cover only the inputs read so far")
		}
	}
	if invalid > 0 && tooLarge {
		f.IO.Errorf("hint: --max-size raises the size limit (%s)", mailreport.Human(opts.Limits.MaxInput))
	}
	exit := res.Summary
	exit.Merge(lookupTally)
	return cmdutil.ExitFor(exit, opts.FailOn)
}

// nothingRead is the error of a run that read no report at all.
func nothingRead(f *cmdutil.Factory, opts *Options, invalid, unreadable, notReports, other int, tooLarge bool) error {
	what := "DMARC aggregate (XML), DMARC failure (ARF e-mail) or SMTP TLS (JSON) reports, or the directories, mbox files and Maildir folders holding them"
	if len(opts.Kinds) == 1 && opts.Kinds[0] == ingest.KindTLS {
		what = "SMTP TLS reports (JSON, .gz, or e-mails carrying them), or the directories, mbox files and Maildir folders holding them"
	}
	if tooLarge {
		what += "; --max-size raises the size limit"
	}
	if invalid > 0 {
		// The errors have been printed, each naming its input.
		f.IO.Errorf("hint: give %s", what)
		return &cmdutil.ExitError{Code: cmdutil.ExitBadInput}
	}
	var why []string
	if unreadable > 0 {
		why = append(why, plural(unreadable, "input")+" could not be read")
	}
	if notReports > 0 {
		why = append(why, plural(notReports, "input")+" not a report")
	}
	if other > 0 {
		if opts.Command == "tls-rpt report" {
			why = append(why, plural(other, "report")+" of other kinds, which dmarc report reads")
		} else {
			why = append(why, plural(other, "report")+" of a kind --kind leaves out")
		}
	}
	msg := "no report found in " + strings.Join(opts.Inputs, " ")
	if len(why) > 0 {
		msg += " (" + strings.Join(why, "; ") + ")"
	}
	return cmdutil.BadInputHint("", fmt.Errorf("%s: %s", strings.Fields(opts.Command)[0], msg), "give "+what)
}

// lookupRecords looks up the published DMARC record of each domain (at
// most maxRecordLookups, 8 at a time), for the record to publish next. A
// record found at the domain itself (not inherited from a parent) is
// kept in current.
func lookupRecords(ctx context.Context, r dns.Resolver, domains []string, current map[string]string, l *Lookups) {
	if r == nil {
		return
	}
	sort.Strings(domains)
	if len(domains) > maxRecordLookups {
		domains = domains[:maxRecordLookups]
	}
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for name := range work {
				disc, err := dmarc.Discover(ctx, r, name)
				mu.Lock()
				l.DMARC++
				switch {
				case disc == nil:
					// Not a domain name: nothing to ask.
				case err != nil:
					l.DMARCErrors++
				case disc.Status == dmarc.StatusFound && disc.Record != nil && disc.RecordDomain == disc.Domain:
					l.DMARCFound++
					current[name] = disc.Record.Raw
				}
				mu.Unlock()
			}
		})
	}
	for _, d := range domains {
		if ctx.Err() != nil {
			break
		}
		work <- d
	}
	close(work)
	wg.Wait()
}

// describe names one report read, for -v.
func describe(it ingest.Item) string {
	switch {
	case it.Aggregate != nil:
		r := it.Aggregate
		return fmt.Sprintf("%s: aggregate report %s from %s for %s (p=%s, %s), %s, %s",
			report.SafeLine(it.Source), report.SafeLine(r.Metadata.ReportID), report.SafeLine(r.Metadata.OrgName), report.SafeLine(r.Policy.Domain),
			report.SafeLine(r.Policy.P), report.SafeLine(r.Schema), period(r.Metadata.Begin, r.Metadata.End), plural(len(r.Records), "record"))
	case it.Failure != nil:
		r := it.Failure
		return fmt.Sprintf("%s: failure report %s from %s about %s",
			report.SafeLine(it.Source), report.SafeLine(orDash(r.ReportID)), report.SafeLine(orDash(r.Reporter)), report.SafeLine(orDash(r.ReportedDomain)))
	case it.TLS != nil:
		r := it.TLS
		return fmt.Sprintf("%s: TLS report %s from %s, %s, %s",
			report.SafeLine(it.Source), report.SafeLine(r.ReportID), report.SafeLine(r.OrganizationName), period(r.Begin, r.End), plural(len(r.Policies), "policy"))
	}
	return report.SafeLine(it.Source)
}

// otherKinds says why reports of other kinds are left out.
func otherKinds(opts *Options) string {
	if opts.Command == "tls-rpt report" {
		return "dmarc report reads them"
	}
	return "--kind"
}

// kindName names a kind of report with its article.
func kindName(k ingest.Kind) string {
	switch k {
	case ingest.KindAggregate:
		return "an aggregate report"
	case ingest.KindFailure:
		return "a failure report"
	}
	return "a TLS report"
}

// progress shows how many inputs were read on a terminal's stderr, every
// 100 inputs; a line written to stderr clears it first.
type progress struct {
	io    *cmdutil.IOStreams
	on    bool
	n     int
	shown bool
}

func (p *progress) tick() {
	p.n++
	if p.on && p.n%100 == 0 {
		p.io.Progress(fmt.Sprintf("reading reports: %d inputs ", p.n))
		p.shown = true
	}
}

func (p *progress) clear() {
	if p.shown {
		p.io.ProgressDone()
		p.shown = false
	}
}

func (p *progress) done() { p.clear(); p.on = false }
