package check

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/authoritative"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mtasts"
	"github.com/penguinmails/emailauth/pkg/mx"
	"github.com/penguinmails/emailauth/pkg/profile"
)

// Options configure a Checker.
type Options struct {
	// Checks are the checks to run, by name (Names); empty means the
	// default checks (every check but starttls, which is opt-in: SMTP).
	Checks []string
	// Selectors are the DKIM selectors the domain must publish; empty means
	// discovery of common selectors.
	Selectors []string
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
	// Deadline bounds one domain's checks (DNS queries, the MTA-STS policy
	// fetch, SMTP probes): a check still running then is an error ("could
	// not complete"), and the run goes on with the next domain. 0 means no
	// bound beyond the resolver's own timeouts.
	Deadline time.Duration

	// Profile, when set, adds the profile check (every requirement of the
	// platform met or not, each with the record that fixes it) and makes
	// the other checks honour it: its DKIM selectors are required, its
	// protected SPF includes are never suggested for flattening or
	// removal, and its ignore and severity keys apply. Tenants gives each
	// domain's overrides and waivers (nil: the profile alone).
	Profile *profile.Profile
	Tenants *profile.Tenants
	// Policy adjusts every check's findings before their statuses are
	// judged (--ignore, --severity); it wins over the profile's.
	Policy finding.Policy
	// Authoritative configures the authoritative check (asking each name
	// server of the domain directly).
	Authoritative authoritative.Options
}

// ErrNoProfile is returned by New when the profile check is selected
// without a profile.
var ErrNoProfile = errors.New("check: the profile check needs a profile (--profile FILE, or profile: in the config file)")

// Checker runs posture checks over one resolver. Give it a caching resolver
// (dns.Cache) so that what domains share (a platform's SPF include) is
// fetched once per run. It is safe for concurrent use.
type Checker struct {
	r    dns.Resolver
	opts Options
	run  map[string]bool
	// offline makes what a run offline cannot check info rather than a
	// warning, so that --fail-on warning stays usable offline.
	offline finding.Policy
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
	names := opts.Checks
	if len(names) == 0 {
		names = DefaultNames()
		if opts.Profile != nil {
			names = append(names, CheckProfile)
		}
	}
	run := map[string]bool{}
	for _, c := range names {
		if !IsCheck(c) {
			return nil, &UnknownCheckError{Name: c}
		}
		run[c] = true
	}
	if run[CheckProfile] && opts.Profile == nil {
		return nil, ErrNoProfile
	}
	ch := &Checker{r: r, opts: opts, run: run}
	if opts.Offline {
		ch.offline = finding.Policy{Severity: map[string]finding.Severity{mtasts.FindPolicyNotChecked.Code: finding.Info}}
	}
	return ch, nil
}

// domainState is what the checks of one domain share, each part computed
// once: the MX hosts (mta-sts, starttls) and the DMARC policy (bimi).
type domainState struct {
	c      *Checker
	domain string
	// req are the domain's requirements when a profile is given (nil
	// otherwise); reqErr says why they could not be built.
	req    *profile.Requirements
	reqErr error

	mxOnce sync.Once
	mx     *mx.Lookup

	dmarcOnce sync.Once
	dmarcRes  *dmarcOutcome
}

// probeApex asks the first question about the domain (its MX records when a
// check needs them, else its TXT records, which the SPF check reads) and
// returns the error when the name servers did not answer it. notCovered is
// true when the answer was asked of no one: offline, no zone file covers
// the domain itself (dns.Answer.NotCovered).
func (d *domainState) probeApex(ctx context.Context) (notCovered bool, err error) {
	if d.c.run[CheckMX] || d.c.run[CheckMTASTS] || d.c.run[CheckSTARTTLS] {
		m := d.mxLookup(ctx)
		if m.Err != nil && dns.IsTemporary(m.Err) {
			return false, m.Err
		}
		return m.Answer != nil && m.Answer.NotCovered, nil
	}
	a, err := d.c.r.Query(ctx, d.domain, dns.TypeTXT)
	if err != nil && dns.IsTemporary(err) {
		return false, err
	}
	return a != nil && a.NotCovered, nil
}

// silentError reports whether err means that no one answered at all: a
// timeout, a network error, a refusal. A SERVFAIL is an answer: the
// resolver is there.
func silentError(err error) bool {
	var e *dns.Error
	if dns.IsTimeout(err) {
		return true
	}
	return errors.As(err, &e) && (e.RCode < 0 || e.RCode == dns.RcodeRefused)
}

// ErrResolverSilent ends a run (RunSeq) whose resolver answered nothing:
// none of the first domains' questions, nor a question about their
// top-level domain. Checking the rest would take the whole list's timeouts
// to report the same thing for every domain.
var ErrResolverSilent = errors.New("the resolver answered none of the questions")

// silentLimit is how many domains in a row, from the start of a run, may
// get no answer at all before the resolver is asked about their top-level
// domain.
func (c *Checker) silentLimit() int { return max(16, 2*c.opts.Concurrency) }

// resolverAlive asks the resolver about the top-level domain of a domain
// that went unanswered (its SOA: "com", "example"), which any working
// resolver answers at once, from its cache or the root: any answer shows
// the resolver is there, and the silence was the domains'.
func (c *Checker) resolverAlive(ctx context.Context, domain string) bool {
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	_, err := c.r.Query(ctx, tld, dns.TypeSOA)
	return err == nil || !silentError(err)
}

// unanswered says who did not answer the domain's first question, as far
// as the error tells: a SERVFAIL comes from the domain's name servers (the
// resolver could not get an answer from them), a refusal or a network error
// from the resolver asked, a timeout from either.
func unanswered(err error) string {
	var e *dns.Error
	switch {
	case dns.IsTimeout(err):
		return "no answer in time, from the resolver or the domain's name servers"
	case errors.As(err, &e) && e.RCode == dns.RcodeServFail:
		return "the domain's name servers did not answer (the resolver says SERVFAIL)"
	case errors.As(err, &e) && e.RCode == dns.RcodeRefused:
		return "the resolver refused the question (is it a recursive resolver that serves this host?)"
	case errors.As(err, &e) && e.RCode < 0:
		return "the resolver could not be asked"
	}
	return "the DNS did not answer"
}

// ErrNotCovered is the error of a domain that no zone file covers in an
// offline run: nothing about it can be known, so it is reported as an
// input that could not be checked (Invalid), never as a pass.
var ErrNotCovered = errors.New("no zone file covers it, and the run is offline: nothing about it can be checked (give its zone file, or check it online)")

// mxLookup returns the MX lookup shared by the checks that need it.
func (d *domainState) mxLookup(ctx context.Context) *mx.Lookup {
	d.mxOnce.Do(func() { d.mx = mx.LookupMX(ctx, d.c.r, d.domain) })
	return d.mx
}

// CheckDomain runs the selected checks for one domain concurrently and
// returns its result. The name is normalised first (dns.NormalizeName: IDNA
// A-labels, case, trailing dot). A malformed name is reported in the result
// (Invalid), not as a Go error.
func (c *Checker) CheckDomain(ctx context.Context, domain string) *DomainResult {
	return c.checkDomain(ctx, domain, false)
}

// checkDomain is CheckDomain. bulk runs the domain's checks one after the
// other on the calling goroutine, except the slow ones (network beyond DNS:
// a policy fetched over HTTPS, SMTP probes, every name server asked), which
// run beside them: in a run of many domains the workers already keep the
// resolver busy, and a goroutine per check costs its stack's growth (6% of
// a bulk run's CPU). A single domain runs every check at once: its answer
// comes sooner.
func (c *Checker) checkDomain(ctx context.Context, domain string, bulk bool) *DomainResult {
	name, err := dns.NormalizeName(domain)
	if err != nil {
		return Invalid(domain, err)
	}
	res := &DomainResult{Domain: name, Unicode: dns.UnicodeName(name), Checks: []*CheckResult{}}
	dctx := ctx
	if c.opts.Deadline > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, c.opts.Deadline)
		defer cancel()
	}
	d := &domainState{c: c, domain: name}
	if c.opts.Profile != nil {
		d.req, d.reqErr = c.opts.Profile.For(name, c.opts.Tenants, c.opts.Now())
		if d.req != nil {
			res.Tenant = d.req.Tenant
		}
	} else if e := c.opts.Tenants.Lookup(name); e != nil {
		res.Tenant = e.Tenant.ID
	}
	results := make([]*CheckResult, len(table))
	// The apex answers first: when the domain's name servers do not answer
	// at all, the checks are not probed further (a dead domain would
	// otherwise send a hundred queries, each timing out).
	notCovered, err := d.probeApex(dctx)
	if notCovered {
		return Invalid(name, fmt.Errorf("%s: %w", name, ErrNotCovered))
	}
	res.silent = err != nil && silentError(err)
	if err != nil {
		for i, chk := range table {
			if c.run[chk.Name] {
				results[i] = normalize(chk.Name, errorResult(fmt.Errorf("not checked: %s (%v)", unanswered(err), err)))
			}
		}
	}
	runOne := func(i int, chk Check) {
		defer func() {
			// A panic is a bug in the check: the domain's other checks
			// and the other domains of the run go on.
			if p := recover(); p != nil {
				results[i] = normalize(chk.Name, errorResult(fmt.Errorf("internal error in the %s check: %v (a bug: please report it)", chk.Name, p)))
			}
		}()
		results[i] = normalize(chk.Name, chk.run(dctx, d))
	}
	var wg sync.WaitGroup
	var inline []int
	for i, chk := range table {
		if !c.run[chk.Name] || results[i] != nil {
			continue
		}
		if bulk && !chk.slow {
			inline = append(inline, i)
			continue
		}
		wg.Add(1)
		go func(i int, chk Check) {
			defer wg.Done()
			runOne(i, chk)
		}(i, chk)
	}
	for _, i := range inline {
		runOne(i, table[i])
	}
	wg.Wait()
	if dctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		for _, r := range results {
			if r != nil && r.Status == finding.StatusError {
				r.Error = fmt.Sprintf("the domain's deadline (%s) passed before the check completed: %s", c.opts.Deadline, r.Error)
			}
		}
	}
	res.Parked = crossCheck(d, results)
	pol := c.offline.Merge(c.opts.Policy)
	if d.req != nil {
		pol = c.offline.Merge(d.req.Policy).Merge(c.opts.Policy)
	}
	for _, r := range results {
		if r != nil {
			applyPolicy(pol, r)
			res.Checks = append(res.Checks, r)
		}
	}
	res.Status = DomainStatus(res.Checks)
	return res
}

// normalize fills what every CheckResult must have and orders findings most
// severe first.
func normalize(name string, r *CheckResult) *CheckResult {
	if r == nil {
		r = &CheckResult{Status: finding.StatusError, Error: "check returned no result"}
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
	finding.Sort(r.Findings)
	if r.Status == "" {
		r.Status = finding.Judge(r.Findings, r.Error == "")
	}
	return r
}

// applyPolicy drops, re-grades or waives a check's findings as the policy
// says, and judges its status again.
func applyPolicy(p finding.Policy, r *CheckResult) {
	st, kept, ignored := p.Adjust(r.Status, r.Findings)
	if kept == nil {
		kept = finding.List{}
	}
	r.Status, r.Findings = st, kept
	if len(ignored) > 0 {
		r.Ignored = ignored
	}
}

// selectors returns the DKIM selectors the domain must publish: those
// given, and the profile's (with the tenant's).
func (d *domainState) selectors() []string {
	out := append([]string(nil), d.c.opts.Selectors...)
	if d.req != nil {
		for _, s := range d.req.Selectors() {
			dup := false
			for _, o := range out {
				dup = dup || o == s
			}
			if !dup {
				out = append(out, s)
			}
		}
	}
	return out
}

// errorResult is the result of a check that could not complete.
func errorResult(err error) *CheckResult {
	return &CheckResult{Status: finding.StatusError, Error: err.Error()}
}

// Run checks domains with bounded concurrency and calls emit with each
// result as it completes (from one goroutine at a time), with the domain's
// index in domains. It returns when every domain is done or ctx is
// cancelled; a domain still being checked when ctx is cancelled is never
// emitted (its partial result would read as a finding about the domain).
// The error is ErrResolverSilent (wrapped) when the run stopped because its
// resolver answered nothing; the domains not emitted were not checked.
func (c *Checker) Run(ctx context.Context, domains []string, emit func(i int, d *DomainResult)) error {
	return c.RunSeq(ctx, func(yield func(int, string) bool) {
		for i, d := range domains {
			if !yield(i, d) {
				return
			}
		}
	}, emit)
}

// RunSeq is Run over a sequence of (index, domain) pairs, read one at a
// time as a worker becomes free: a list of a million domains is never held
// whole, and the sequence may block (to hold back input while results wait
// to be written in order). The indexes are the caller's; emit gets them
// back. The sequence is read from one goroutine, never concurrently with
// itself, but concurrently with emit.
func (c *Checker) RunSeq(ctx context.Context, domains iter.Seq2[int, string], emit func(i int, d *DomainResult)) error {
	type job struct {
		i int
		d string
	}
	type item struct {
		i int
		d *DomainResult
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	jobs := make(chan job)
	out := make(chan item)
	var wg sync.WaitGroup
	// Workers start as the sequence yields, up to Concurrency: a run of
	// three domains starts three.
	workers := 0
	worker := func() {
		defer wg.Done()
		for j := range jobs {
			d := c.checkDomain(ctx, j.d, true)
			if ctx.Err() != nil {
				// Interrupted: the result is not a result. The caller
				// counts the domains it was not given.
				continue
			}
			out <- item{j.i, d}
		}
	}
	wg.Add(1) // the feeder's: out closes after it and every worker
	go func() {
		defer wg.Done()
		defer close(jobs)
		for i, d := range domains {
			if ctx.Err() != nil {
				return
			}
			j := job{i, d}
			if workers < c.opts.Concurrency {
				select {
				case jobs <- j: // a worker was free
					continue
				default:
				}
				workers++
				wg.Add(1)
				go worker()
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	// A run whose first domains all go unanswered asks the resolver about
	// their top-level domain; when that goes unanswered too, the run stops
	// (ErrResolverSilent) rather than wait out every domain's timeouts.
	// One answer, ever, and it never stops for this.
	silent, answered, limit := 0, false, c.silentLimit()
	for it := range out {
		if !answered && ctx.Err() == nil {
			if it.d.silent {
				silent++
			} else if it.d.Error == "" {
				answered = true
			}
			if silent == limit {
				tld := it.d.Domain[strings.LastIndexByte(it.d.Domain, '.')+1:]
				if c.resolverAlive(ctx, it.d.Domain) {
					answered = true
				} else {
					stop(fmt.Errorf("%w: no answer to the first %d domains' questions, nor to a question about the top-level domain %s", ErrResolverSilent, silent, tld))
				}
			}
		}
		emit(it.i, it.d)
	}
	if err := context.Cause(ctx); errors.Is(err, ErrResolverSilent) {
		return err
	}
	return nil
}
