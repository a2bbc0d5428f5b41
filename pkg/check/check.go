package check

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mtasts"
)

// Options configure a Checker.
type Options struct {
	// Checks are the checks to run, by name (AllChecks); empty means every
	// check except starttls, which is opt-in (SMTP).
	Checks []string
	// Selectors are the DKIM selectors to check; empty means discovery.
	Selectors []string
	// ExtraSelectors are added to the discovery list (from config).
	ExtraSelectors []string
	// BIMISelector is the BIMI selector ("default" when empty).
	BIMISelector string
	// Offline makes no connection besides DNS queries: the MTA-STS policy
	// is reported as not checked and the starttls check is skipped.
	Offline bool
	// HTTPClient fetches MTA-STS policies; nil means mtasts.NewClient over
	// the Checker's resolver (unless Offline).
	HTTPClient *http.Client
	// SMTPDial connects to port 25 for the starttls check; nil means a
	// dns.Dialer over the Checker's resolver (unless Offline).
	SMTPDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// SMTPPort is the port the starttls check connects to (25 when 0).
	SMTPPort int
	// HeloName is the name the starttls check sends in EHLO.
	HeloName string
	// Now is the clock (certificate expiry, SPF %{t}); time.Now when nil.
	Now func() time.Time
	// Concurrency is how many domains are checked at once (Run); 16 when 0.
	Concurrency int
	// CheckTimeout bounds one domain's checks; 0 means no bound beyond the
	// resolver's own timeouts.
	CheckTimeout time.Duration
}

// Checker runs posture checks over one resolver. Give it a caching resolver
// (dns.Cache) so that what domains share (a platform's SPF include) is
// fetched once per run. It is safe for concurrent use.
type Checker struct {
	r    dns.Resolver
	opts Options
	run  map[string]bool
}

// New returns a Checker. It reports an unknown check name.
func New(r dns.Resolver, opts Options) (*Checker, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.BIMISelector == "" {
		opts.BIMISelector = "default"
	}
	if opts.Offline {
		opts.HTTPClient, opts.SMTPDial = nil, nil
	} else {
		if opts.HTTPClient == nil {
			opts.HTTPClient = mtasts.NewClient(r, mtasts.ClientOptions{})
		}
		if opts.SMTPDial == nil {
			opts.SMTPDial = (&dns.Dialer{Resolver: r}).DialContext
		}
	}
	run := map[string]bool{}
	if len(opts.Checks) == 0 {
		for _, c := range AllChecks {
			run[c] = c != CheckSTARTTLS
		}
	} else {
		for _, c := range opts.Checks {
			if !IsCheck(c) {
				return nil, fmt.Errorf("check: unknown check %q (want one of %s)", c, strings.Join(AllChecks, ", "))
			}
			run[c] = true
		}
	}
	return &Checker{r: r, opts: opts, run: run}, nil
}

// IsCheck reports whether name is one of AllChecks.
func IsCheck(name string) bool {
	for _, c := range AllChecks {
		if c == name {
			return true
		}
	}
	return false
}

// checkFunc runs one check for one domain.
type checkFunc func(ctx context.Context, d *domainState) *CheckResult

// registry maps each check name to its function. Filled by the files that
// implement the checks.
var registry = map[string]checkFunc{}

// domainState is what the checks of one domain share, each part computed
// once: the MX hosts (mta-sts, starttls) and the DMARC policy (bimi).
type domainState struct {
	c      *Checker
	domain string

	mxOnce sync.Once
	mx     *mxResult

	dmarcOnce sync.Once
	dmarcRes  *dmarcOutcome

	// dmarcPolicy is the policy the dmarc check found ("none",
	// "quarantine", "reject"; "" when unknown), for the cross-checks.
	dmarcPolicy string
}

// mxHosts returns the MX lookup shared by the checks that need it.
func (d *domainState) mxHosts(ctx context.Context) *mxResult {
	d.mxOnce.Do(func() { d.mx = lookupMX(ctx, d.c.r, d.domain) })
	return d.mx
}

// CheckDomain runs the selected checks for one domain concurrently and
// returns its result. The name is normalised first (dns.NormalizeName: IDNA
// A-labels, case, trailing dot). A malformed name is reported in the result
// (Invalid), not as a Go error.
func (c *Checker) CheckDomain(ctx context.Context, domain string) *DomainResult {
	name, err := dns.NormalizeName(domain)
	if err != nil {
		return Invalid(domain, err)
	}
	res := &DomainResult{Domain: name, Unicode: dns.UnicodeName(name), Checks: []*CheckResult{}}
	if c.opts.CheckTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.CheckTimeout)
		defer cancel()
	}
	d := &domainState{c: c, domain: name}
	results := make([]*CheckResult, len(AllChecks))
	var wg sync.WaitGroup
	for i, name := range AllChecks {
		if !c.run[name] {
			results[i] = &CheckResult{Check: name, Status: StatusSkip, Records: []string{}, Findings: finding.List{}, Error: "not selected"}
			continue
		}
		fn := registry[name]
		if fn == nil {
			results[i] = &CheckResult{Check: name, Status: StatusSkip, Records: []string{}, Findings: finding.List{}, Error: "not available in this build"}
			continue
		}
		wg.Add(1)
		go func(i int, name string, fn checkFunc) {
			defer wg.Done()
			results[i] = normalize(name, fn(ctx, d))
		}(i, name, fn)
	}
	wg.Wait()
	crossCheck(d, results)
	for _, r := range results {
		if r.Status == StatusSkip && r.Error == "not selected" {
			continue
		}
		res.Checks = append(res.Checks, r)
	}
	res.Status = DomainStatus(res.Checks)
	return res
}

// normalize fills what every CheckResult must have and orders findings most
// severe first.
func normalize(name string, r *CheckResult) *CheckResult {
	if r == nil {
		r = &CheckResult{Status: StatusError, Error: "check returned no result"}
	}
	r.Check = name
	if r.Records == nil {
		r.Records = []string{}
	}
	if r.Findings == nil {
		r.Findings = finding.List{}
	}
	if r.Details == nil {
		r.Details = struct{}{}
	}
	sort.SliceStable(r.Findings, func(i, j int) bool { return r.Findings[i].Severity > r.Findings[j].Severity })
	if r.Status == "" {
		r.Status = StatusFromFindings(r.Findings)
	}
	return r
}

// errorResult is the result of a check that could not complete.
func errorResult(err error) *CheckResult {
	return &CheckResult{Status: StatusError, Error: err.Error()}
}

// Run checks domains with bounded concurrency and calls emit with each
// result as it completes (from one goroutine at a time), with the domain's
// index in domains. It returns when every domain is done or ctx is
// cancelled.
func (c *Checker) Run(ctx context.Context, domains []string, emit func(i int, d *DomainResult)) {
	type item struct {
		i int
		d *DomainResult
	}
	jobs := make(chan int)
	out := make(chan item)
	var wg sync.WaitGroup
	workers := c.opts.Concurrency
	if workers > len(domains) {
		workers = len(domains)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out <- item{i, c.CheckDomain(ctx, domains[i])}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range domains {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	for it := range out {
		emit(it.i, it.d)
	}
}
