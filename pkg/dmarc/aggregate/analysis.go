package aggregate

import (
	"net/netip"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dmarc"
)

// AnalyzerOptions configure an Analyzer.
type AnalyzerOptions struct {
	// Thresholds of the readiness rule; zero fields take DefaultThresholds.
	Thresholds Thresholds
	// Tenant maps a domain to its tenant; nil leaves tenants empty.
	Tenant func(domain string) string
	// Abusive lists networks the operator knows to be abuse: their mail
	// is left out of the legitimate-looking figures whatever it passes.
	Abusive []netip.Prefix
	// CurrentRecords maps a domain to its published DMARC record, so that
	// the record to publish next keeps its other tags (rua, ruf, ...).
	// Without it the next record is built from what the reports say. It is
	// read by Result, so a caller may fill it once the reports are added
	// (after looking up the records of the domains they name).
	CurrentRecords map[string]string
	// RequireReady makes every readiness verdict other than ready and
	// enforced (hold, not-ready, insufficient-data) an error finding, so
	// that the domain's status is fail: a CI job can gate the next policy
	// step on it.
	RequireReady bool
	// SkipTesting leaves the t=y steps out of the ladder: none, then
	// quarantine, then reject.
	SkipTesting bool
	// OmitPct leaves pct=0 out of the t=y steps. With it (the default),
	// RFC 7489 receivers, which ignore t, apply the weaker policy as RFC
	// 9989 receivers do; without it they apply the policy in full.
	OmitPct bool
	// MaxSources caps the sources kept one by one per domain (default
	// 50,000); the others are counted together.
	MaxSources int
}

// An Analyzer accumulates aggregate reports per domain (the
// policy_published domain) and source IP. Its memory grows with the
// domains and sources (about 1 KB per source), not with the reports:
// a year of reports is added one at a time and dropped. An Analyzer is
// not safe for concurrent use.
type Analyzer struct {
	opts     AnalyzerOptions
	domains  map[string]*domainAcc
	seen     map[[2]string]bool
	dups     int
	reports  int
	orgCache map[string]string
}

type domainAcc struct {
	name      string
	sources   map[string]*sourceAcc
	other     sourceAcc // sources over MaxSources
	overflow  int
	reports   int
	reporters map[string]*ReporterInfo
	begin     time.Time
	end       time.Time
	// latest is the policy of the report that ends last; steps records
	// when each policy step was seen.
	latest   PolicyPublished
	latestAt time.Time
	steps    map[int]*span
}

type span struct{ begin, end time.Time }

type sourceAcc struct {
	ip          string
	messages    int64
	pass        int64
	spfAligned  int64
	dkimAligned int64
	forwarded   int64
	failAuth    int64 // failing, but some SPF or DKIM pass for any domain
	failUnauth  int64 // failing, nothing passes
	spfOwnFail  int64 // failing rows: SPF for an aligned domain did not pass
	dkimOwnFail int64 // failing rows: DKIM for an aligned domain did not pass
	otherAuth   int64 // failing rows: SPF or DKIM passed for an unaligned domain
	disp        Dispositions
	headerFrom  []string
	spfDomains  []string
	dkimDomains []string
	reporters   []string
	overrides   map[string]int64
}

// NewAnalyzer returns an empty Analyzer.
func NewAnalyzer(opts AnalyzerOptions) *Analyzer {
	opts.Thresholds = opts.Thresholds.withDefaults()
	if opts.MaxSources <= 0 {
		opts.MaxSources = 50_000
	}
	return &Analyzer{opts: opts, domains: map[string]*domainAcc{}, seen: map[[2]string]bool{}, orgCache: map[string]string{}}
}

// Add counts a report, unless a report with the same reporter and report
// ID was added before: it then returns false.
func (a *Analyzer) Add(rep *Report) bool {
	key := [2]string{strings.ToLower(rep.Metadata.OrgName), rep.Metadata.ReportID}
	if rep.Metadata.ReportID != "" && a.seen[key] {
		a.dups++
		return false
	}
	a.seen[key] = true
	a.reports++
	name := rep.Policy.Domain
	d := a.domains[name]
	if d == nil {
		d = &domainAcc{name: name, sources: map[string]*sourceAcc{}, reporters: map[string]*ReporterInfo{}, steps: map[int]*span{}}
		a.domains[name] = d
	}
	d.reports++
	if d.begin.IsZero() || (!rep.Metadata.Begin.IsZero() && rep.Metadata.Begin.Before(d.begin)) {
		d.begin = rep.Metadata.Begin
	}
	if rep.Metadata.End.After(d.end) {
		d.end = rep.Metadata.End
	}
	if d.latestAt.IsZero() || !rep.Metadata.End.Before(d.latestAt) {
		d.latest, d.latestAt = rep.Policy, rep.Metadata.End
	}
	step := stepOf(rep.Policy)
	sp := d.steps[step]
	if sp == nil {
		sp = &span{begin: rep.Metadata.Begin, end: rep.Metadata.End}
		d.steps[step] = sp
	}
	if rep.Metadata.Begin.Before(sp.begin) {
		sp.begin = rep.Metadata.Begin
	}
	if rep.Metadata.End.After(sp.end) {
		sp.end = rep.Metadata.End
	}
	org := rep.Metadata.OrgName
	ri := d.reporters[strings.ToLower(org)]
	if ri == nil {
		if len(d.reporters) >= 1000 {
			org = "(others)"
			ri = d.reporters["(others)"]
		}
		if ri == nil {
			ri = &ReporterInfo{Name: org}
			d.reporters[strings.ToLower(org)] = ri
		}
	}
	ri.Reports++
	for i := range rep.Records {
		r := &rep.Records[i]
		ri.Messages += r.Count
		a.addRecord(d, r, rep)
	}
	return true
}

func (a *Analyzer) addRecord(d *domainAcc, r *Record, rep *Report) {
	s := d.sources[r.SourceIP]
	if s == nil {
		if len(d.sources) >= a.opts.MaxSources {
			s = &d.other
			d.overflow++
		} else {
			s = &sourceAcc{ip: r.SourceIP}
			d.sources[r.SourceIP] = s
		}
	}
	n := r.Count
	s.messages += n
	switch r.Disposition {
	case "none", "pass":
		s.disp.None += n
	case "quarantine":
		s.disp.Quarantine += n
	case "reject":
		s.disp.Reject += n
	default:
		s.disp.Other += n
	}
	hf := r.HeaderFrom
	if hf == "" {
		hf = rep.Policy.Domain
	}
	s.headerFrom = addListed(s.headerFrom, hf)
	s.reporters = addListed(s.reporters, rep.Metadata.OrgName)
	if r.SPF == "pass" {
		s.spfAligned += n
	}
	if r.DKIM == "pass" {
		s.dkimAligned += n
	}
	var anyPass, spfOwnFail, dkimOwnFail, otherPass bool
	for _, x := range r.AuthSPF {
		s.spfDomains = addListed(s.spfDomains, x.Domain)
		own := a.aligned(x.Domain, hf, rep.Policy.ASPF)
		switch {
		case x.Result == "pass":
			anyPass = true
			if !own {
				otherPass = true
			}
		case own && x.Scope != "helo":
			spfOwnFail = true
		}
	}
	for _, x := range r.AuthDKIM {
		s.dkimDomains = addListed(s.dkimDomains, x.Domain)
		own := a.aligned(x.Domain, hf, rep.Policy.ADKIM)
		switch {
		case x.Result == "pass":
			anyPass = true
			if !own {
				otherPass = true
			}
		case own && x.Result != "none" && x.Result != "":
			dkimOwnFail = true
		}
	}
	if r.DMARCPass() {
		s.pass += n
		return
	}
	for _, rs := range r.Reasons {
		switch rs.Type {
		case "forwarded", "mailing_list", "trusted_forwarder":
			if s.overrides == nil {
				s.overrides = map[string]int64{}
			}
			s.overrides[rs.Type] += n
			s.forwarded += n
			return
		}
	}
	if anyPass {
		s.failAuth += n
	} else {
		s.failUnauth += n
	}
	if spfOwnFail {
		s.spfOwnFail += n
	}
	if dkimOwnFail {
		s.dkimOwnFail += n
	}
	if otherPass {
		s.otherAuth += n
	}
}

// aligned reports whether an authenticated domain is aligned with the
// header From domain: equal under strict alignment ("s"), or of the same
// organizational domain under relaxed alignment. The organizational
// domain is taken from the Public Suffix List (RFC 7489 §3.2): the reports
// carry no DNS answers, and the receivers' own verdicts (policy_evaluated)
// are what the pass figures use; this is only to tell a failing source's
// own identifiers from a provider's.
func (a *Analyzer) aligned(d, headerFrom, mode string) bool {
	d, headerFrom = strings.TrimSuffix(d, "."), strings.TrimSuffix(headerFrom, ".")
	if d == "" || headerFrom == "" {
		return false
	}
	if d == headerFrom {
		return true
	}
	if mode == "s" {
		return false
	}
	return a.org(d) != "" && a.org(d) == a.org(headerFrom)
}

func (a *Analyzer) org(d string) string {
	if o, ok := a.orgCache[d]; ok {
		return o
	}
	o := dmarc.OrgDomain7489(d)
	if len(a.orgCache) < 100_000 {
		a.orgCache[d] = o
	}
	return o
}

const maxListed = 10

func addListed(list []string, v string) []string {
	if v == "" || len(list) >= maxListed {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
