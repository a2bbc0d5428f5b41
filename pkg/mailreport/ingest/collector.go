package ingest

import (
	"context"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/dmarc/failure"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport"
	"github.com/penguinmails/emailauth/pkg/tlsrpt/tlsreport"
)

// CollectorOptions configure a Collector.
type CollectorOptions struct {
	// DMARC configures the aggregate analysis (its Tenant is set from
	// Tenants when nil).
	DMARC aggregate.AnalyzerOptions
	// Tenants maps domains to tenants; a domain not in the map takes the
	// tenant of its closest parent that is (see TenantFunc).
	Tenants map[string]string
	// MaxListed caps the errors and warnings a Digest lists (default
	// 1000); the counts are always complete.
	MaxListed int
}

// A Collector folds the items of a Reader into a Digest. Duplicates and
// errors are counted; reports are added to the per-kind analyses and
// dropped. A Collector is not safe for concurrent use.
type Collector struct {
	opts     CollectorOptions
	dmarc    *aggregate.Analyzer
	tls      *tlsreport.Summarizer
	failures *failure.Summarizer
	stats    Stats
	errs     []InputError
	warns    []mailreport.Warning
}

// Stats counts what was read.
type Stats struct {
	Aggregate int `json:"aggregate"`
	Failure   int `json:"failure"`
	TLS       int `json:"tls"`
	// Duplicates were read but counted once.
	Duplicates int `json:"duplicates"`
	// NotReports are inputs that were readable but no report.
	NotReports int `json:"not_reports"`
	// Errors are inputs that could not be read (malformed, over a
	// limit, unreadable).
	Errors int `json:"errors"`
	// Warnings count the quirks reports were read despite.
	Warnings int `json:"warnings"`
}

// InputError is an input that could not be read as a report.
type InputError struct {
	Source string `json:"source"`
	Error  string `json:"error"`
	// NotReport is set for readable input that is no report.
	NotReport bool `json:"not_report,omitempty"`
}

// Digest is what a set of reports says.
type Digest struct {
	Stats    Stats                `json:"stats"`
	Errors   []InputError         `json:"errors"`
	Warnings []mailreport.Warning `json:"warnings"`
	// DMARC is the aggregate analysis: per domain the sources, what to do
	// about them, and the readiness verdict.
	DMARC *aggregate.Analysis `json:"dmarc"`
	// TLS sums the SMTP TLS reports per policy domain.
	TLS *tlsreport.Summary `json:"tls"`
	// Failures counts the failure reports per reported domain.
	Failures *failure.Summary `json:"failures"`
	// Tenants rolls every kind up per tenant (when Tenants was given).
	Tenants []TenantDigest `json:"tenants,omitempty"`
	// Status is the worst status of the DMARC and TLS domains.
	Status finding.Status `json:"status"`
}

// TenantDigest is one tenant's roll-up across the kinds of reports.
type TenantDigest struct {
	Tenant  string   `json:"tenant"`
	Domains []string `json:"domains"`
	// DMARC figures: messages, failing messages, and the legitimate-
	// looking share that passes.
	Messages       int64                     `json:"messages"`
	DMARCFail      int64                     `json:"dmarc_fail"`
	PassShare      float64                   `json:"pass_share"`
	Verdicts       map[aggregate.Verdict]int `json:"verdicts"`
	TLSSuccessful  int64                     `json:"tls_successful"`
	TLSFailed      int64                     `json:"tls_failed"`
	FailureReports int                       `json:"failure_reports"`
	Status         finding.Status            `json:"status"`
}

// NewCollector returns an empty Collector.
func NewCollector(opts CollectorOptions) *Collector {
	if opts.MaxListed <= 0 {
		opts.MaxListed = 1000
	}
	var tenant func(string) string
	if len(opts.Tenants) > 0 {
		tenant = TenantFunc(opts.Tenants)
	}
	if opts.DMARC.Tenant == nil {
		opts.DMARC.Tenant = tenant
	}
	return &Collector{
		opts:     opts,
		dmarc:    aggregate.NewAnalyzer(opts.DMARC),
		tls:      tlsreport.NewSummarizer(tlsreport.SummaryOptions{Tenant: tenant}),
		failures: failure.NewSummarizer(failure.SummaryOptions{Tenant: tenant}),
	}
}

// Add counts one item.
func (c *Collector) Add(it Item) {
	if it.Err != nil {
		ie := InputError{Source: it.Source, Error: it.Err.Error(), NotReport: it.NotReport()}
		if ie.NotReport {
			c.stats.NotReports++
		} else {
			c.stats.Errors++
		}
		if len(c.errs) < c.opts.MaxListed {
			c.errs = append(c.errs, ie)
		}
		return
	}
	ws := it.Warnings()
	c.stats.Warnings += len(ws)
	for _, w := range ws {
		if len(c.warns) < c.opts.MaxListed {
			c.warns = append(c.warns, w)
		}
	}
	if it.Duplicate {
		c.stats.Duplicates++
		return
	}
	switch it.Kind {
	case KindAggregate:
		if c.dmarc.Add(it.Aggregate) {
			c.stats.Aggregate++
		} else {
			c.stats.Duplicates++
		}
	case KindTLS:
		if c.tls.Add(it.TLS) {
			c.stats.TLS++
		} else {
			c.stats.Duplicates++
		}
	case KindFailure:
		if c.failures.Add(it.Failure) {
			c.stats.Failure++
		} else {
			c.stats.Duplicates++
		}
	}
}

// Result builds the digest. ro configures the DMARC analysis (reverse DNS).
func (c *Collector) Result(ctx context.Context, ro aggregate.ResultOptions) *Digest {
	d := &Digest{Stats: c.stats, Errors: nonNilErrs(c.errs), Warnings: c.warns, Status: finding.StatusSkip}
	if d.Warnings == nil {
		d.Warnings = []mailreport.Warning{}
	}
	d.DMARC = c.dmarc.Result(ctx, ro)
	d.TLS = c.tls.Result()
	d.Failures = c.failures.Result()
	for _, x := range d.DMARC.Domains {
		d.Status = finding.Worst(d.Status, x.Status)
	}
	for _, x := range d.TLS.Domains {
		d.Status = finding.Worst(d.Status, x.Status)
	}
	if len(c.opts.Tenants) > 0 {
		d.Tenants = c.tenants(d)
	}
	return d
}

func nonNilErrs(e []InputError) []InputError {
	if e == nil {
		return []InputError{}
	}
	return e
}

func (c *Collector) tenants(d *Digest) []TenantDigest {
	by := map[string]*TenantDigest{}
	get := func(name string) *TenantDigest {
		t := by[name]
		if t == nil {
			t = &TenantDigest{Tenant: name, Domains: []string{}, Verdicts: map[aggregate.Verdict]int{}, Status: finding.StatusSkip}
			by[name] = t
		}
		return t
	}
	domains := map[string]map[string]bool{}
	addDomain := func(t *TenantDigest, dom string) {
		if domains[t.Tenant] == nil {
			domains[t.Tenant] = map[string]bool{}
		}
		if !domains[t.Tenant][dom] {
			domains[t.Tenant][dom] = true
			t.Domains = append(t.Domains, dom)
		}
	}
	legit := map[string][2]int64{}
	for _, x := range d.DMARC.Domains {
		t := get(x.Tenant)
		addDomain(t, x.Domain)
		t.Messages += x.Messages
		t.DMARCFail += x.DMARCFail
		l := legit[x.Tenant]
		legit[x.Tenant] = [2]int64{l[0] + x.Readiness.LegitimateMessages, l[1] + x.Readiness.LegitimatePass}
		t.Verdicts[x.Readiness.Verdict]++
		t.Status = finding.Worst(t.Status, x.Status)
	}
	for _, x := range d.TLS.Domains {
		t := get(x.Tenant)
		addDomain(t, x.Domain)
		t.TLSSuccessful += x.Successful
		t.TLSFailed += x.Failed
		t.Status = finding.Worst(t.Status, x.Status)
	}
	for _, x := range d.Failures.Domains {
		t := get(x.Tenant)
		addDomain(t, x.Domain)
		t.FailureReports += x.Reports
	}
	out := make([]TenantDigest, 0, len(by))
	for name, t := range by {
		if l := legit[name]; l[0] > 0 {
			t.PassShare = float64(l[1]) / float64(l[0])
		}
		sort.Strings(t.Domains)
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tenant < out[j].Tenant })
	return out
}

// TenantFunc returns a function mapping a domain to its tenant: the entry
// of m for the domain, or else for its closest parent domain; "" when
// none. Names compare case-insensitively, without a trailing dot. A nil
// or empty map gives a function that always returns "".
func TenantFunc(m map[string]string) func(string) string {
	norm := make(map[string]string, len(m))
	for k, v := range m {
		norm[strings.TrimSuffix(strings.ToLower(strings.TrimSpace(k)), ".")] = v
	}
	return func(domain string) string {
		d := strings.TrimSuffix(strings.ToLower(domain), ".")
		for d != "" {
			if t, ok := norm[d]; ok {
				return t
			}
			_, rest, ok := strings.Cut(d, ".")
			if !ok {
				break
			}
			d = rest
		}
		return ""
	}
}
