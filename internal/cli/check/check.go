// Package check is the "emailauth check" command: a domain's whole
// mail-authentication posture, for one domain or ten thousand.
package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/authoritative"
	pcheck "github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// Options are the check command's inputs.
type Options struct {
	Domains      []string // from arguments
	File         string   // --file, "-" for stdin
	Checks       []string
	Skip         []string
	Selectors    []string
	BIMISelector string
	FailOn       finding.Severity
	Concurrency  int
	ShardK       int // 1-based; 0 = no sharding
	ShardN       int
	SMTP         bool
	SMTPPort     int
	HeloName     string
	Deadline     time.Duration
	// Only and Summary are the compact view of a bulk run (--only,
	// --summary): table, markdown and html.
	Only    finding.Status
	Summary bool

	// Profile names the platform profile, the tenants file and a tenant
	// (--profile, --tenants, --tenant).
	Profile profileopt.Flags
	// Policy is --ignore and --severity.
	Policy finding.Policy
	// Authoritative (--authoritative) asks each name server directly;
	// Nameservers (--nameserver ADDR) are asked instead of the NS set, and
	// NSAddrs (--nameserver NAME=ADDR) give a server's address.
	Authoritative bool
	Nameservers   []string
	NSAddrs       map[string][]string
}

// NewCmdCheck returns the check command. runF, when not nil, replaces the
// run function.
func NewCmdCheck(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	var failOn, shard string
	var ignore, severity, nameservers []string
	cmd := &cobra.Command{
		Use:   "check [DOMAIN...]",
		Short: "Check domains' SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT, BIMI and DNSSEC",
		Long: `Check the whole mail-authentication posture of one domain or of thousands:
mx, spf, dkim, dmarc, mta-sts, tls-rpt, bimi, dnssec, and starttls with --smtp.
Checks run concurrently and share one DNS cache, so what domains share (a
platform's SPF include) is fetched once per run.

Each check has a status (pass, warn, fail, error, skip) and findings with a
stable code, a severity and a fix that names the record to publish or change.
The finding codes are listed in docs/findings.md.

Domains come from the arguments, from --file (one per line, # comments), or
from standard input with "-". A URL or an e-mail address is reduced to its
domain (with a note); internationalized names are asked in A-label form.
Duplicates are removed; a malformed name (a line with a comma or a space, an
IP address) is reported as invalid, with its line, and the others still run.

DKIM selectors given with --selector (or dkim.selectors in the config file)
are required: a missing key fails. Without them, common selectors are
discovered, and finding none is only a warning.

Exit codes: 0 every domain passed (warnings allowed unless --fail-on warning),
1 a domain failed, 2 bad input, 3 some check could not complete and nothing
failed.

With a platform profile (--profile FILE, or profile: in the config file) a
profile check is added: every requirement of the platform met or not, each
with the exact record that fixes it, and the other checks honour the profile
(its DKIM selectors are required; its includes are never suggested for
flattening). --tenants FILE checks every tenant's domains (or --tenant ID's)
and groups the report by tenant, with a summary per tenant, in every format.
See docs/profiles.md.

--ignore CODE drops a finding code (CHECK.* for a whole check) and --severity
CODE=LEVEL gives it another severity, in every check, before statuses and the
exit code are judged; a profile's ignore and severity keys do the same.

--authoritative asks each of the domain's name servers directly for the mail
records and reports where they disagree (records on one server and not
another, differing SOA serials, lame servers).`,
		Example: `  # a tenant's zone, before it is published
  emailauth check --offline --zone example.com.zone example.com

  # live DNS, for a pull-request comment
  emailauth check -o markdown example.com

  # every tenant, 64 at a time, as JSON lines, in the 3rd of 8 CI jobs
  emailauth check --file tenants.txt -j 64 -o jsonl --shard 3/8

  # only SPF and DMARC, failing on warnings too
  emailauth check --checks spf,dmarc --fail-on warning example.com

  # the platform's selector must be published
  emailauth check -s mailu tenant.example

  # a tenant against the platform's profile, as a CI gate
  emailauth check --profile penguinmails.yaml --fail-on warning --ignore bimi.* tenant.example

  # every tenant, grouped by tenant, for a dashboard
  emailauth check --profile penguinmails.yaml --tenants tenants.yaml -o json

  # do the name servers agree? (propagation)
  emailauth check --authoritative --checks spf,dmarc tenant.example`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domains = args
			sev, err := finding.ParseSeverity(failOn)
			if err != nil || sev == finding.Info {
				return cmdutil.FlagErrorf("invalid --fail-on %q: want error or warning", failOn)
			}
			opts.FailOn = sev
			if shard != "" {
				k, n, err := parseShard(shard)
				if err != nil {
					return err
				}
				opts.ShardK, opts.ShardN = k, n
			}
			if opts.Deadline <= 0 {
				return cmdutil.FlagErrorf("invalid --deadline %s: want a positive duration such as 30s", opts.Deadline)
			}
			if opts.Concurrency < 1 || opts.Concurrency > 4096 {
				return cmdutil.FlagErrorf("invalid --concurrency %d: want 1 to 4096", opts.Concurrency)
			}
			for _, c := range append(append([]string{}, opts.Checks...), opts.Skip...) {
				if !pcheck.IsCheck(c) {
					return cmdutil.FlagErrorf("unknown check %q: want one of %s", c, strings.Join(pcheck.Names(), ", "))
				}
			}
			fromTenants := opts.Profile.Tenants != "" || opts.Profile.Tenant != "" || f.Global != nil && f.Global.Tenants != ""
			if len(opts.Domains) == 0 && opts.File == "" && !fromTenants {
				return cmdutil.FlagErrorf("no domain to check: give DOMAIN arguments, --file FILE, - for standard input, or --tenants FILE")
			}
			if opts.SMTP {
				opts.Checks = appendUnique(opts.Checks, pcheck.CheckSTARTTLS)
			}
			if opts.Authoritative && len(opts.Checks) > 0 {
				opts.Checks = appendUnique(opts.Checks, pcheck.CheckAuthoritative)
			}
			if err := parsePolicy(opts, ignore, severity); err != nil {
				return err
			}
			if len(nameservers) > 0 && !opts.Authoritative {
				return cmdutil.FlagErrorf("--nameserver goes with --authoritative")
			}
			if err := parseNameservers(opts, nameservers); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return run(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, report.Formats...)
	fl := cmd.Flags()
	fl.StringVarP(&opts.File, "file", "f", "", "read domains from `FILE`, one per line (- for standard input)")
	fl.StringSliceVar(&opts.Checks, "checks", nil, "run only these `checks` (comma-separated): "+strings.Join(pcheck.Names(), ","))
	fl.StringSliceVar(&opts.Skip, "skip", nil, "skip these `checks` (comma-separated)")
	fl.StringArrayVarP(&opts.Selectors, "selector", "s", nil, "DKIM `selector` the domain must publish (repeatable); default: dkim.selectors from the config, else discover common selectors")
	fl.StringVar(&opts.BIMISelector, "bimi-selector", "default", "BIMI `selector`")
	fl.StringVar(&failOn, "fail-on", "error", "exit 1 on findings of this `severity` or worse: error or warning")
	fl.IntVarP(&opts.Concurrency, "concurrency", "j", 16, "how many domains to check at once")
	fl.StringVar(&shard, "shard", "", "check only the K-th of N deterministic slices of the input (`K/N`, K from 1)")
	fl.Var(report.OnlyFlag{Only: &opts.Only}, "only", report.OnlyUsage)
	fl.BoolVar(&opts.Summary, "summary", false, report.SummaryUsage)
	_ = cmd.RegisterFlagCompletionFunc("only", cmdutil.CompleteValues(report.OnlyValues...))
	fl.DurationVar(&opts.Deadline, "deadline", 30*time.Second, "the most time one domain's checks may take; a check still running then is an error (could not complete)")
	fl.BoolVar(&opts.SMTP, "smtp", false, "also connect to each MX on port 25 to check STARTTLS (often blocked)")
	fl.IntVar(&opts.SMTPPort, "smtp-port", 25, "port for --smtp")
	fl.StringVar(&opts.HeloName, "helo", "", "`name` to send in EHLO with --smtp (default: this host's name)")
	cmdutil.DeprecatedAlias(f.IO, fl, "helo-name", "helo")
	_ = fl.MarkHidden("smtp-port")
	_ = cmd.RegisterFlagCompletionFunc("checks", cmdutil.CompleteList(pcheck.Names()...))
	_ = cmd.RegisterFlagCompletionFunc("skip", cmdutil.CompleteList(pcheck.Names()...))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.CompleteValues("error", "warning"))
	_ = cmd.RegisterFlagCompletionFunc("file", cmdutil.CompleteFiles("txt", "list"))
	_ = cmd.RegisterFlagCompletionFunc("shard", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("selector", cobra.NoFileCompletions)
	opts.Profile.Add(fl, true)
	fl.StringArrayVar(&ignore, "ignore", nil, "drop the findings of this `code` (CHECK.* for a whole check; repeatable)")
	fl.StringArrayVar(&severity, "severity", nil, "give the findings of a code another severity, `CODE=LEVEL` (error, warning or info; repeatable)")
	fl.BoolVar(&opts.Authoritative, "authoritative", false, "also ask each name server of the domain directly and report where they disagree")
	fl.StringArrayVar(&nameservers, "nameserver", nil, "with --authoritative: ask this server (`ADDR[:PORT]`) instead of the NS set, or give a server's address (NAME=ADDR[:PORT]); repeatable")
	return cmd
}

// parsePolicy validates --ignore and --severity against the catalogue.
func parsePolicy(opts *Options, ignore, severity []string) error {
	codes := profileopt.Codes()
	check := func(flag, code string) error {
		if err := finding.CheckCode(code, codes); err != nil {
			var ue *finding.UnknownCodeError
			if errors.As(err, &ue) && len(ue.Near) > 0 {
				return cmdutil.FlagErrorf("invalid %s %q: unknown finding code; did you mean %q?", flag, code, ue.Near[0])
			}
			return cmdutil.FlagErrorf("invalid %s %q: unknown finding code (emailauth explain lists them; CHECK.* names a whole check)", flag, code)
		}
		return nil
	}
	for _, v := range ignore {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c == "" {
				continue
			}
			if err := check("--ignore", c); err != nil {
				return err
			}
			opts.Policy.Ignore = append(opts.Policy.Ignore, c)
		}
	}
	for _, v := range severity {
		code, level, ok := strings.Cut(v, "=")
		code = strings.ToLower(strings.TrimSpace(code))
		if !ok || code == "" {
			return cmdutil.FlagErrorf("invalid --severity %q: want CODE=LEVEL, such as dmarc.policy-none=error", v)
		}
		if strings.HasSuffix(code, ".*") {
			return cmdutil.FlagErrorf("invalid --severity %q: a severity is set per code, not for a whole check", v)
		}
		if err := check("--severity", code); err != nil {
			return err
		}
		sev, err := finding.ParseSeverity(level)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --severity %q: %q is not a severity: want error, warning or info", v, level)
		}
		if opts.Policy.Severity == nil {
			opts.Policy.Severity = map[string]finding.Severity{}
		}
		opts.Policy.Severity[code] = sev
	}
	return nil
}

// parseNameservers reads --nameserver (cmdutil.ParseNameservers).
func parseNameservers(opts *Options, values []string) (err error) {
	opts.Nameservers, opts.NSAddrs, err = cmdutil.ParseNameservers(values)
	return err
}

func parseShard(s string) (int, int, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, cmdutil.FlagErrorf("invalid --shard %q: want K/N with 1 <= K <= N, such as 3/8", s)
	}
	return k, n, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// inShard reports whether domain belongs to the K-th of N slices. The slice
// depends only on the name, so a domain stays in its shard when the list
// changes, and N jobs over the same list cover it exactly once.
func inShard(domain string, k, n int) bool {
	h := fnv.New64a()
	h.Write([]byte(domain))
	return int(h.Sum64()%uint64(n)) == k-1
}

// entry is one input of the run: a domain to check, or an input that is not
// a domain name (Err set), reported as invalid.
type entry struct {
	where  string // "DOMAIN", "tenants.txt:12", "standard input:3"
	input  string
	domain dns.Domain
	err    error
}

func run(f *cmdutil.Factory, opts *Options) error {
	loaded, err := profileopt.Load(f, opts.Profile)
	if err != nil {
		return err
	}
	src, err := newSource(f, opts)
	if err != nil {
		return err
	}
	defer src.Close()
	// next yields the run's inputs in order. They are read whole when they
	// must be known whole (grouped by tenant) or are only arguments;
	// otherwise one at a time as the run goes: a list of a million domains
	// is never held.
	var next func() (entry, bool)
	total := 0 // the number of inputs, when known before the run
	if loaded.Tenants != nil || !src.streams() {
		entries, err := src.All()
		if err != nil {
			return err
		}
		if loaded.Tenants != nil {
			entries, err = tenantEntries(loaded, entries, opts)
			if err != nil {
				return err
			}
		}
		if len(entries) == 0 && opts.ShardN == 0 {
			return cmdutil.BadInputHint("--file", errors.New("no domains in the input"), "give one domain per line; lines starting with # are comments")
		}
		// A single malformed domain given as an argument is bad input, not a
		// report: say so at once.
		if len(entries) == 1 && opts.File == "" && entries[0].err != nil {
			return cmdutil.BadInput("", entries[0].err)
		}
		total = len(entries)
		next = func() (entry, bool) {
			if len(entries) == 0 {
				return entry{}, false
			}
			e := entries[0]
			entries = entries[1:]
			return e, true
		}
	} else {
		first, ok := src.Next()
		if err := src.Err(); err != nil {
			return err
		}
		if !ok && opts.ShardN == 0 {
			return cmdutil.BadInputHint(src.name(), errors.New("no domains in the input"), "give one domain per line; lines starting with # are comments")
		}
		next = func() (entry, bool) {
			if ok {
				ok = false
				return first, true
			}
			return src.Next()
		}
	}
	// Each worker has a few queries in flight; the cap grows with them, so
	// that a slow domain cannot starve the others.
	f.Global.MaxInFlight = max(64, 4*opts.Concurrency)
	// A domain's answers take about 10 KB in the cache: past 256 workers
	// the default bound would evict answers still to be read again.
	f.Global.CacheBytes = max(dns.DefaultCacheBytes, int64(opts.Concurrency)*32<<10)
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	checks := opts.Checks
	if len(checks) > 0 && loaded.Profile != nil {
		checks = appendUnique(checks, pcheck.CheckProfile)
	}
	if len(checks) == 0 && opts.Authoritative {
		checks = appendUnique(defaultChecks(opts.SMTP, loaded.Profile != nil), pcheck.CheckAuthoritative)
	}
	if len(opts.Skip) > 0 {
		if len(checks) == 0 {
			checks = defaultChecks(opts.SMTP, loaded.Profile != nil)
		}
		checks = without(checks, opts.Skip)
		if len(checks) == 0 {
			return cmdutil.FlagErrorf("--skip leaves no check to run")
		}
	}
	// dkim.selectors in the config means exactly what --selector means.
	selectors := opts.Selectors
	if len(selectors) == 0 {
		selectors = f.Global.DKIMSelectors
	}
	copts := pcheck.Options{
		Checks:       checks,
		Selectors:    selectors,
		BIMISelector: opts.BIMISelector,
		Now:          f.Now,
		Concurrency:  opts.Concurrency,
		SMTPPort:     opts.SMTPPort,
		HeloName:     opts.HeloName,
		Offline:      f.Global.Offline,
		Deadline:     opts.Deadline,
		Profile:      loaded.Profile,
		Tenants:      loaded.Tenants,
		Policy:       opts.Policy,
		Authoritative: authoritative.Options{
			Client:  authClient(f),
			NS:      dns.NSOptions{Addrs: opts.NSAddrs},
			Servers: opts.Nameservers,
		},
	}
	checker, err := pcheck.New(r, copts)
	if err != nil {
		if errors.Is(err, pcheck.ErrNoProfile) {
			return cmdutil.FlagErrorf("the profile check needs a platform profile: give --profile FILE (or profile: in the config file)")
		}
		return cmdutil.BadInput("--checks", err)
	}

	ropts := report.Options{Color: f.IO.Color, Verbose: f.IO.Verbosity > 0, FailOn: opts.FailOn, GroupByTenant: loaded.Tenants != nil, Only: opts.Only, Summary: opts.Summary}
	if f.Global.Output == "github" {
		if p := f.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
			fh, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return cmdutil.BadInput("GITHUB_STEP_SUMMARY", err)
			}
			defer fh.Close()
			ropts.StepSummary = fh
		}
	}
	out := io.Writer(f.IO.Out)
	if f.Global.Output == "table" {
		out = f.IO.Term() // human output: through the safe writer, in its colours
	}
	w, err := report.New(f.Global.Output, out, ropts)
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}

	prog := newProgress(f, total)
	var summary pcheck.Summary
	var writeErr, auditErr error
	gate := profileGate(loaded)
	// Results are written in input order (jsonl: as they finish); at most
	// window of them wait for a slower one before reading stops.
	window := max(1024, 32*opts.Concurrency)
	order := newReorder(f.Ctx(), window, func(d *pcheck.DomainResult) {
		pcheck.Count(&summary, d)
		if writeErr == nil {
			writeErr = w.WriteDomain(d)
		}
		if ev, ok := gate(d); ok && auditErr == nil {
			auditErr = f.Audit(ev)
		}
	})
	streamNow := f.Global.Output == "jsonl"
	deliver := func(i int, d *pcheck.DomainResult) {
		prog.step()
		if streamNow {
			order.emit(d)
		} else {
			order.put(i, d)
		}
	}
	read := 0 // inputs read, each given the next index
	feed := func(yield func(int, string) bool) {
		for {
			if !streamNow && !order.wait(read) {
				return // interrupted
			}
			e, ok := next()
			if !ok {
				return
			}
			i := read
			read++
			// An input that is not a domain is reported in its place.
			if e.err != nil {
				deliver(i, pcheck.Invalid(e.input, e.err))
				continue
			}
			if !yield(i, e.domain.ASCII) {
				return
			}
		}
	}
	runErr := checker.RunSeq(f.Ctx(), feed, deliver)
	prog.done()
	interrupted := f.Ctx().Err() != nil || runErr != nil
	unread := ""
	if interrupted {
		// What finished is written in input order; what did not is not a
		// result, only a count: of the rest of the input too, unless it is
		// standard input (whose writer may never end it).
		order.flush()
		if src.usesStdin() && src.streams() && loaded.Tenants == nil {
			unread = "; the rest of standard input was not read"
		} else {
			for _, ok := next(); ok; _, ok = next() {
				read++
			}
		}
		summary.NotChecked = read - summary.Domains
	}
	closeErr := w.Close(summary)
	if writeErr != nil {
		return writeErr
	}
	if closeErr != nil {
		return closeErr
	}
	if interrupted {
		// The report written so far is complete and valid, but partial.
		if auditErr != nil {
			f.IO.Errorf("emailauth: %s", auditErr)
		}
		if runErr != nil {
			return cmdutil.Incomplete(fmt.Errorf("check: stopped: %w; %d of %d domains were not checked%s", runErr, summary.NotChecked, read, unread),
				"is --resolver (or /etc/resolv.conf) a recursive resolver this host can reach? 'emailauth lookup -vv example.com' shows one query and what became of it")
		}
		return &cmdutil.IncompleteError{Err: fmt.Errorf("check: interrupted: %d of %d domains were not checked%s", summary.NotChecked, read, unread)}
	}
	if err := src.Err(); err != nil {
		// A line standard input could not give: the domains before it were
		// checked and reported.
		return err
	}
	return f.WithAudit(cmdutil.ExitFor(summary, opts.FailOn), auditErr)
}

func defaultChecks(smtp, profile bool) []string {
	out := pcheck.DefaultNames()
	if smtp {
		out = appendUnique(out, pcheck.CheckSTARTTLS)
	}
	if profile {
		out = appendUnique(out, pcheck.CheckProfile)
	}
	return out
}

// authClient is the client that asks name servers directly, with the
// global timeout and retries and -vv tracing.
func authClient(f *cmdutil.Factory) *dns.AuthClient {
	c := &dns.AuthClient{Timeout: f.Global.Timeout, Retries: f.Global.Retries, TCP: f.Global.TCP}
	if f.IO.Verbosity >= 2 {
		c.Trace = func(line string) { f.IO.Verbosef(2, "dns: %s", line) }
	}
	return c
}

// tenantEntries returns the entries of a run over a tenants file: the
// domains given (each must belong to --tenant when it is given), else the
// domains of --tenant or of every tenant; ordered tenant by tenant, in the
// file's order, so the report groups them.
func tenantEntries(l *profileopt.Loaded, given []entry, opts *Options) ([]entry, error) {
	entries := given
	if len(entries) == 0 && len(opts.Domains) == 0 && opts.File == "" {
		for _, d := range l.Domains() {
			if opts.ShardN > 0 && !inShard(d, opts.ShardK, opts.ShardN) {
				continue
			}
			dom, err := dns.NewDomain(d)
			entries = append(entries, entry{where: l.Tenants.File, input: d, domain: dom, err: err})
		}
	}
	if l.Tenant != nil {
		for _, e := range entries {
			if e.err != nil {
				continue
			}
			if td := l.Tenants.Lookup(e.domain.ASCII); td == nil || td.Tenant != l.Tenant {
				return nil, cmdutil.BadInputHint(e.where, fmt.Errorf("%s is not a domain of tenant %q", e.domain.ASCII, l.Tenant.ID), "leave out the DOMAIN arguments to check every domain of the tenant")
			}
		}
	}
	rank := map[string]int{}
	for i, t := range l.Tenants.Tenants {
		rank[t.ID] = i
	}
	tenantOf := func(e entry) int {
		if e.err == nil {
			if td := l.Tenants.Lookup(e.domain.ASCII); td != nil {
				return rank[td.Tenant.ID]
			}
		}
		return len(rank)
	}
	sort.SliceStable(entries, func(i, j int) bool { return tenantOf(entries[i]) < tenantOf(entries[j]) })
	return entries, nil
}

func without(list, drop []string) []string {
	var out []string
outer:
	for _, c := range list {
		for _, d := range drop {
			if c == d {
				continue outer
			}
		}
		out = append(out, c)
	}
	return out
}

// reorder passes results on in input order as soon as every earlier one has
// arrived, so output is deterministic and still streams; wait holds the
// input back while window results wait for an earlier, slower one.
type reorder struct {
	mu      sync.Mutex
	cond    *sync.Cond
	ctx     context.Context
	window  int
	next    int
	pending map[int]*pcheck.DomainResult
	out     func(*pcheck.DomainResult)
}

func newReorder(ctx context.Context, window int, out func(*pcheck.DomainResult)) *reorder {
	o := &reorder{ctx: ctx, window: window, pending: map[int]*pcheck.DomainResult{}, out: out}
	o.cond = sync.NewCond(&o.mu)
	context.AfterFunc(ctx, func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.cond.Broadcast()
	})
	return o
}

// wait blocks until the input of index i may be read: fewer than window
// results are then waiting to be written. It returns false when the run's
// context is done.
func (o *reorder) wait(i int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i >= o.next+o.window {
		if o.ctx.Err() != nil {
			return false
		}
		o.cond.Wait()
	}
	return o.ctx.Err() == nil
}

func (o *reorder) put(i int, d *pcheck.DomainResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pending[i] = d
	for {
		d, ok := o.pending[o.next]
		if !ok {
			break
		}
		delete(o.pending, o.next)
		o.next++
		o.out(d)
	}
	o.cond.Broadcast()
}

// profileGate returns the audit record of a domain's profile gate (check
// --profile): what the platform's requirements made of it. Without a
// profile there is none.
func profileGate(loaded *profileopt.Loaded) func(*pcheck.DomainResult) (audit.ProfileGate, bool) {
	if loaded == nil || loaded.Profile == nil {
		return func(*pcheck.DomainResult) (audit.ProfileGate, bool) { return audit.ProfileGate{}, false }
	}
	name, sum := loaded.Profile.Name, ""
	if file := loaded.Profile.File; file != "" {
		if abs, err := filepath.Abs(file); err == nil {
			name = abs
		}
		if b, err := os.ReadFile(file); err == nil {
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
	}
	return func(d *pcheck.DomainResult) (audit.ProfileGate, bool) {
		for _, c := range d.Checks {
			if c.Check != pcheck.CheckProfile {
				continue
			}
			ev := audit.ProfileGate{Domain: d.Domain, Profile: name, ProfileSHA256: sum, Status: c.Status}
			for _, x := range c.Findings {
				switch x.Severity {
				case finding.Error:
					ev.Errors++
				case finding.Warning:
					ev.Warnings++
				default:
					continue
				}
				ev.Codes = append(ev.Codes, x.Code)
			}
			return ev, true
		}
		return audit.ProfileGate{}, false
	}
}

func (o *reorder) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	idx := make([]int, 0, len(o.pending))
	for i := range o.pending {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		o.out(o.pending[i])
		delete(o.pending, i)
	}
}

func (o *reorder) emit(d *pcheck.DomainResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.out(d)
}
