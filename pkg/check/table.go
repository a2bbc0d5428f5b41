package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/authoritative"
	"github.com/penguinmails/emailauth/pkg/bimi"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dnssec"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mtasts"
	"github.com/penguinmails/emailauth/pkg/mx"
	"github.com/penguinmails/emailauth/pkg/profile"
	"github.com/penguinmails/emailauth/pkg/spf"
	"github.com/penguinmails/emailauth/pkg/starttls"
	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

// The checks, by their stable names (the report's "check" field).
const (
	CheckMX       = "mx"
	CheckSPF      = "spf"
	CheckDKIM     = "dkim"
	CheckDMARC    = "dmarc"
	CheckMTASTS   = "mta-sts"
	CheckTLSRPT   = "tls-rpt"
	CheckBIMI     = "bimi"
	CheckDNSSEC   = "dnssec"
	CheckSTARTTLS = "starttls"
	// CheckAuthoritative asks each name server of the domain directly
	// (opt-in: --authoritative).
	CheckAuthoritative = "authoritative"
	// CheckProfile is a platform profile's requirements; it runs when a
	// profile is given.
	CheckProfile = "profile"
)

// Check declares one posture check: everything about it is in the table
// below, and nowhere else. docs/checks.md ("Adding a check") says how to add
// one; a test keeps the table, the report schema and the docs in step.
type Check struct {
	// Name is the check's stable name.
	Name string
	// Summary says in one line what the check looks at (help texts).
	Summary string
	// Doc is the page of docs/ that documents the check.
	Doc string
	// Default is true when the check runs unless --checks names others
	// (starttls connects to port 25 and is opt-in).
	Default bool
	// Findings is the catalogue of the codes the check emits.
	Findings func() []*finding.Spec
	// run checks one domain. It returns a result with its status set, or
	// with findings to judge.
	run func(ctx context.Context, d *domainState) *CheckResult
	// slow is true for a check that waits on more than the resolver (an
	// HTTPS fetch, SMTP connections, every name server asked): in a bulk
	// run it keeps a goroutine of its own while the domain's other checks
	// run one after the other.
	slow bool
}

// table is every check, in report order.
var table = [...]Check{
	{CheckMX, "MX records: null MX, aliases, IP literals, unresolvable or private exchanges", "checks.md", true, mx.Findings, runMX, false},
	{CheckSPF, "the SPF record and its include tree: syntax, DNS-lookup and void-lookup limits, networks", "spf.md", true, spf.Findings, runSPF, false},
	{CheckDKIM, "the DKIM key records of the required selectors, or of the common ones discovered", "dkim-keys.md", true, dkimkey.Findings, runDKIM, false},
	{CheckDMARC, "the DMARC record: discovery (RFC 9989 and 7489), policy, alignment, report destinations", "dmarc.md", true, dmarc.Findings, runDMARC, false},
	{CheckMTASTS, "the MTA-STS record and, online, its policy and whether it covers the MX hosts", "mta-sts.md", true, mtasts.Findings, runMTASTS, true},
	{CheckTLSRPT, "the TLS-RPT record and its report destinations", "tls-rpt.md", true, tlsrpt.Findings, runTLSRPT, false},
	{CheckBIMI, "the BIMI record and the DMARC policy BIMI needs", "bimi.md", true, bimi.Findings, runBIMI, false},
	{CheckDNSSEC, "whether the zone is signed, anchored at its parent (DS) and validated", "checks.md", true, dnssec.Findings, runDNSSEC, false},
	{CheckSTARTTLS, "STARTTLS on each MX host on port 25: offered, TLS version, certificate (opt-in: --smtp)", "starttls.md", false, starttls.Findings, runSTARTTLS, true},
	{CheckAuthoritative, "each name server of the zone asked directly: records on one and not another, differing serials, lame servers (opt-in: --authoritative)", "checks.md", false, authoritative.Findings, runAuthoritative, true},
	{CheckProfile, "a platform profile's requirements, each met or not, with the record that fixes it (with --profile)", "profiles.md", false, profile.Findings, runProfile, false},
}

// Checks returns every check, in report order.
func Checks() []Check { return append([]Check(nil), table[:]...) }

// Names returns the names of every check, in report order.
func Names() []string {
	out := make([]string, len(table))
	for i, c := range table {
		out[i] = c.Name
	}
	return out
}

// DefaultNames returns the names of the checks run when none is selected.
func DefaultNames() []string {
	var out []string
	for _, c := range table {
		if c.Default {
			out = append(out, c.Name)
		}
	}
	return out
}

// Lookup returns the check named name.
func Lookup(name string) (Check, bool) {
	for _, c := range table {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// IsCheck reports whether name is a check's name.
func IsCheck(name string) bool {
	_, ok := Lookup(name)
	return ok
}

// UnknownCheckError is returned for a check name that is not in the table.
type UnknownCheckError struct{ Name string }

func (e *UnknownCheckError) Error() string {
	return fmt.Sprintf("check: unknown check %q (want one of %s)", e.Name, strings.Join(Names(), ", "))
}

// The adapters: each turns its package's result into a CheckResult. The
// package decides its status with the verdict model; the adapter only
// carries it.

func runMX(ctx context.Context, d *domainState) *CheckResult {
	res := mx.Check(ctx, d.c.r, d.domain, d.mxLookup(ctx))
	return &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res.Details, Error: res.Error}
}

func runSPF(ctx context.Context, d *domainState) *CheckResult {
	a, err := spf.Analyze(ctx, d.c.r, d.domain, spf.AnalyzeOptions{})
	if err != nil {
		return errorResult(err)
	}
	if d.req != nil {
		// The platform's includes are never advice to cut or flatten.
		a.ProtectIncludes(d.req.SPF.Protected, 0)
	}
	res := &CheckResult{Details: a, Findings: a.Findings, Status: finding.Judge(a.Findings, !a.Incomplete)}
	if a.Record != "" {
		res.Records = []string{a.Record}
	} else if a.Tree != nil {
		res.Records = a.Tree.Records
	}
	if res.Status == finding.StatusError {
		res.Error = "some DNS lookups of the SPF tree failed; see the spf.dns-error findings"
	}
	return res
}

func runDKIM(ctx context.Context, d *domainState) *CheckResult {
	maxAge := dkimkey.DefaultMaxKeyAge
	if p := d.c.opts.Profile; p != nil {
		if a, ok := p.DKIM.MaxKeyAgeDuration(); ok {
			maxAge = a
		}
	}
	res, err := dkimkey.Check(ctx, d.c.r, d.domain, d.selectors(), dkimkey.CheckOptions{Now: d.c.opts.Now, MaxKeyAge: maxAge})
	if err != nil {
		return errorResult(err)
	}
	out := &CheckResult{Details: res, Findings: res.Findings, Status: res.Status}
	for _, s := range res.Selectors {
		for _, rec := range s.Records {
			out.Records = append(out.Records, fmt.Sprintf("%s: %s", s.Name, rec))
		}
	}
	if out.Status == finding.StatusError {
		for _, s := range res.Selectors {
			if s.Error != "" {
				out.Error = s.Error
				break
			}
		}
	}
	return out
}

func runDMARC(ctx context.Context, d *domainState) *CheckResult {
	o := d.dmarc(ctx)
	if o.res == nil {
		return errorResult(o.err)
	}
	res := &CheckResult{Details: o.res, Findings: o.res.Findings, Records: o.res.TXT, Status: finding.Judge(o.res.Findings, !o.res.Incomplete)}
	if res.Status == finding.StatusError {
		res.Error = strings.Join(o.res.Errors, "; ")
		if res.Error == "" && o.err != nil {
			res.Error = o.err.Error()
		}
	}
	return res
}

func runMTASTS(ctx context.Context, d *domainState) *CheckResult {
	m := d.mxLookup(ctx)
	var hosts []string
	if m.Err == nil {
		hosts = m.Hosts
		if hosts == nil {
			hosts = []string{}
		}
	}
	res := mtasts.Check(ctx, d.c.r, d.c.opts.HTTPClient, d.domain, hosts, mtasts.Options{Now: d.c.opts.Now})
	return &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}

func runTLSRPT(ctx context.Context, d *domainState) *CheckResult {
	res := tlsrpt.Check(ctx, d.c.r, d.domain)
	return &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}

func runBIMI(ctx context.Context, d *domainState) *CheckResult {
	in := bimi.DMARC{}
	if o := d.dmarc(ctx); o.res != nil && !o.res.Incomplete {
		in.Checked = true
		if o.res.Discovery != nil {
			in.OrgDomain = o.res.Discovery.RFC7489.OrgDomain
		}
		if rec := o.res.Record; rec != nil && o.res.Policy != nil {
			in.Found = true
			in.RecordDomain = o.res.RecordDomain
			in.P, in.SP = string(rec.P), string(rec.SP)
			in.Pct = rec.PCT
			in.Testing = rec.Testing
		}
	}
	res := bimi.Check(ctx, d.c.r, d.domain, d.c.opts.BIMISelector, in)
	return &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}

func runDNSSEC(ctx context.Context, d *domainState) *CheckResult {
	res := dnssec.Check(ctx, d.c.r, d.domain)
	return &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res.Details, Error: res.Error, Summary: res.Summary()}
}

func runAuthoritative(ctx context.Context, d *domainState) *CheckResult {
	if d.c.opts.Offline {
		return &CheckResult{Status: finding.StatusSkip, Error: "offline: the name servers are not asked"}
	}
	opts := d.c.opts.Authoritative
	opts.Selectors = d.selectors()
	opts.BIMISelector = d.c.opts.BIMISelector
	res := authoritative.Check(ctx, d.c.r, d.domain, opts)
	return &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res, Error: res.Error}
}

func runProfile(ctx context.Context, d *domainState) *CheckResult {
	if d.reqErr != nil {
		return errorResult(d.reqErr)
	}
	if d.req == nil {
		return &CheckResult{Status: finding.StatusSkip, Error: "no profile"}
	}
	res := profile.Evaluate(ctx, d.c.r, d.req, profile.EvalOptions{Now: d.c.opts.Now})
	out := &CheckResult{Status: res.Status, Records: res.Records, Findings: res.Findings, Details: res}
	if res.Incomplete {
		out.Error = "some requirements could not be checked; see the profile.dns-error findings"
	}
	return out
}
