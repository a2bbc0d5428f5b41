package aggregate

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// SourceClass says what a source looks like from its results.
type SourceClass string

// The classes of sources.
const (
	// ClassAligned: all its mail passes DMARC.
	ClassAligned SourceClass = "aligned"
	// ClassPartlyAligned: some of its mail passes DMARC, some fails: a
	// sender of the domain with a stream that is not set up.
	ClassPartlyAligned SourceClass = "partly-aligned"
	// ClassThirdParty: none of its mail passes DMARC, but it passes SPF or
	// DKIM as another domain (an email service provider).
	ClassThirdParty SourceClass = "third-party"
	// ClassForwarder: its failing mail carries a forwarding override
	// reason (forwarded, mailing_list, trusted_forwarder).
	ClassForwarder SourceClass = "forwarder"
	// ClassUnauthenticated: nothing it sends passes SPF or DKIM for any
	// domain.
	ClassUnauthenticated SourceClass = "unauthenticated"
	// ClassAbusive: in AnalyzerOptions.Abusive.
	ClassAbusive SourceClass = "abusive"
)

// Legitimate reports whether mail of the class counts as the domain's
// legitimate-looking mail in the readiness figures.
func (c SourceClass) Legitimate() bool {
	return c == ClassAligned || c == ClassPartlyAligned || c == ClassThirdParty
}

// Action is what to do about a source.
type Action string

// The actions.
const (
	ActionNone         Action = "none"
	ActionAuthorizeSPF Action = "authorize-spf"
	ActionSignDKIM     Action = "sign-dkim"
	ActionAbuse        Action = "treat-as-abuse"
	ActionForwarded    Action = "forwarded"
)

// ResultOptions control Analyzer.Result.
type ResultOptions struct {
	// Resolver, when set, looks up the reverse DNS name (PTR) of the
	// sources, failing ones first.
	Resolver dns.Resolver
	// MaxLookups caps the PTR lookups (default 200).
	MaxLookups int
	// Concurrency is the number of lookups in flight (default 8).
	Concurrency int
}

// Analysis is what a set of aggregate reports says, per domain and tenant.
type Analysis struct {
	Reports    int              `json:"reports"`
	Duplicates int              `json:"duplicates"`
	Thresholds Thresholds       `json:"thresholds"`
	Domains    []DomainAnalysis `json:"domains"`
	Tenants    []TenantAnalysis `json:"tenants,omitempty"`
	// PTRLookups and PTRErrors count the reverse DNS lookups made and
	// those that failed (timeouts, SERVFAIL): names then stay empty.
	PTRLookups int `json:"ptr_lookups,omitempty"`
	PTRErrors  int `json:"ptr_errors,omitempty"`
}

// ReporterInfo is what one reporter sent about a domain.
type ReporterInfo struct {
	Name     string `json:"name"`
	Reports  int    `json:"reports"`
	Messages int64  `json:"messages"`
}

// DomainAnalysis is what the reports say about one domain.
type DomainAnalysis struct {
	Domain    string         `json:"domain"`
	Tenant    string         `json:"tenant,omitempty"`
	Begin     time.Time      `json:"begin"`
	End       time.Time      `json:"end"`
	Reports   int            `json:"reports"`
	Reporters []ReporterInfo `json:"reporters"`
	// Policy is the policy the latest report shows.
	Policy      PolicyPublished `json:"policy"`
	Messages    int64           `json:"messages"`
	DMARCPass   int64           `json:"dmarc_pass"`
	DMARCFail   int64           `json:"dmarc_fail"`
	SPFAligned  int64           `json:"spf_aligned_pass"`
	DKIMAligned int64           `json:"dkim_aligned_pass"`
	// Sources are the sending addresses, failing ones first.
	Sources   []SourceAnalysis `json:"sources"`
	Readiness Readiness        `json:"readiness"`
	Findings  finding.List     `json:"findings"`
	Status    finding.Status   `json:"status"`
}

// SourceAnalysis is what the reports say about one source address of a
// domain.
type SourceAnalysis struct {
	SourceIP string `json:"source_ip"`
	// PTR is the reverse DNS name, when looked up; PTRError says why
	// there is none.
	PTR           string       `json:"ptr,omitempty"`
	PTRError      string       `json:"ptr_error,omitempty"`
	Messages      int64        `json:"messages"`
	DMARCPass     int64        `json:"dmarc_pass"`
	DMARCFail     int64        `json:"dmarc_fail"`
	SPFAligned    int64        `json:"spf_aligned_pass"`
	DKIMAligned   int64        `json:"dkim_aligned_pass"`
	Forwarded     int64        `json:"forwarded,omitempty"`
	DMARCPassRate float64      `json:"dmarc_pass_rate"`
	Disposition   Dispositions `json:"disposition"`
	HeaderFrom    []string     `json:"header_from"`
	// SPFDomains and DKIMDomains are the domains SPF and DKIM checked
	// (at most ten each).
	SPFDomains  []string         `json:"spf_domains,omitempty"`
	DKIMDomains []string         `json:"dkim_domains,omitempty"`
	Reporters   []string         `json:"reporters"`
	Overrides   map[string]int64 `json:"overrides,omitempty"`
	Class       SourceClass      `json:"class"`
	Action      Action           `json:"action"`
	// Advice says what to do, naming the domains involved.
	Advice string `json:"advice,omitempty"`
}

// TenantAnalysis rolls a tenant's domains up.
type TenantAnalysis struct {
	Tenant             string          `json:"tenant"`
	Domains            []string        `json:"domains"`
	Messages           int64           `json:"messages"`
	DMARCFail          int64           `json:"dmarc_fail"`
	LegitimateMessages int64           `json:"legitimate_messages"`
	LegitimatePass     int64           `json:"legitimate_pass"`
	PassShare          float64         `json:"pass_share"`
	Verdicts           map[Verdict]int `json:"verdicts"`
	Status             finding.Status  `json:"status"`
}

// otherSources names the bucket of sources over AnalyzerOptions.MaxSources.
const otherSources = "(other sources)"

// Result analyses what was added: per domain, the sources and what to do
// about them, the readiness verdict, findings and status; per tenant, a
// roll-up. ctx bounds the reverse DNS lookups.
func (a *Analyzer) Result(ctx context.Context, ro ResultOptions) *Analysis {
	out := &Analysis{Reports: a.reports, Duplicates: a.dups, Thresholds: a.opts.Thresholds, Domains: []DomainAnalysis{}}
	ptrs := map[string]ptrResult{}
	if ro.Resolver != nil {
		ptrs = a.lookupPTRs(ctx, ro)
		out.PTRLookups = len(ptrs)
		for _, p := range ptrs {
			if p.transient {
				out.PTRErrors++
			}
		}
	}
	names := make([]string, 0, len(a.domains))
	for n := range a.domains {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out.Domains = append(out.Domains, a.analyseDomain(a.domains[n], ptrs))
	}
	sort.SliceStable(out.Domains, func(i, j int) bool { return out.Domains[i].DMARCFail > out.Domains[j].DMARCFail })
	if a.opts.Tenant != nil {
		out.Tenants = tenants(out.Domains)
	}
	return out
}

func (a *Analyzer) analyseDomain(d *domainAcc, ptrs map[string]ptrResult) DomainAnalysis {
	da := DomainAnalysis{Domain: d.name, Begin: d.begin, End: d.end, Reports: d.reports, Policy: d.latest, Reporters: []ReporterInfo{}, Sources: []SourceAnalysis{}}
	if a.opts.Tenant != nil {
		da.Tenant = a.opts.Tenant(d.name)
	}
	for _, ri := range d.reporters {
		da.Reporters = append(da.Reporters, *ri)
	}
	sort.Slice(da.Reporters, func(i, j int) bool {
		if da.Reporters[i].Messages != da.Reporters[j].Messages {
			return da.Reporters[i].Messages > da.Reporters[j].Messages
		}
		return da.Reporters[i].Name < da.Reporters[j].Name
	})
	accs := make([]*sourceAcc, 0, len(d.sources)+1)
	for _, s := range d.sources {
		accs = append(accs, s)
	}
	if d.overflow > 0 {
		d.other.ip = otherSources
		accs = append(accs, &d.other)
	}
	for _, s := range accs {
		sa := a.analyseSource(d, s)
		if p, ok := ptrs[s.ip]; ok {
			sa.PTR, sa.PTRError = p.name, p.err
		}
		sa.Advice = advice(d.name, &sa)
		da.Messages += sa.Messages
		da.DMARCPass += sa.DMARCPass
		da.DMARCFail += sa.DMARCFail
		da.SPFAligned += sa.SPFAligned
		da.DKIMAligned += sa.DKIMAligned
		da.Sources = append(da.Sources, sa)
	}
	sort.Slice(da.Sources, func(i, j int) bool {
		a, b := da.Sources[i], da.Sources[j]
		if a.DMARCFail != b.DMARCFail {
			return a.DMARCFail > b.DMARCFail
		}
		if a.Messages != b.Messages {
			return a.Messages > b.Messages
		}
		return a.SourceIP < b.SourceIP
	})
	da.Readiness = a.judge(d, &da)
	da.Findings = a.findings(d, &da)
	finding.Sort(da.Findings)
	da.Status = finding.Judge(da.Findings, true)
	return da
}

func (a *Analyzer) analyseSource(d *domainAcc, s *sourceAcc) SourceAnalysis {
	sa := SourceAnalysis{SourceIP: s.ip, Messages: s.messages, DMARCPass: s.pass, DMARCFail: s.messages - s.pass, SPFAligned: s.spfAligned, DKIMAligned: s.dkimAligned,
		Forwarded: s.forwarded, Disposition: s.disp, HeaderFrom: nonNil(s.headerFrom), SPFDomains: s.spfDomains, DKIMDomains: s.dkimDomains, Reporters: nonNil(s.reporters), Overrides: s.overrides}
	if s.messages > 0 {
		sa.DMARCPassRate = float64(s.pass) / float64(s.messages)
	}
	failing := s.failAuth + s.failUnauth
	switch {
	case s.ip == otherSources:
		sa.Class = ClassUnauthenticated
	case a.abusive(s.ip):
		sa.Class = ClassAbusive
	case failing == 0 && s.pass == 0 && s.forwarded > 0:
		sa.Class = ClassForwarder
	case failing == 0:
		sa.Class = ClassAligned
	case s.pass > 0:
		sa.Class = ClassPartlyAligned
	case s.failAuth > 0:
		sa.Class = ClassThirdParty
	case s.forwarded > s.failUnauth:
		sa.Class = ClassForwarder
	default:
		sa.Class = ClassUnauthenticated
	}
	switch sa.Class {
	case ClassAligned:
		sa.Action = ActionNone
	case ClassForwarder:
		sa.Action = ActionForwarded
	case ClassUnauthenticated, ClassAbusive:
		sa.Action = ActionAbuse
	default:
		// A source whose failing mail mostly uses the domain as envelope
		// sender without SPF authorising it needs SPF (or DKIM); one
		// that authenticates as someone else, or whose DKIM signature
		// for the domain fails, needs to sign as the domain.
		if s.spfOwnFail > s.otherAuth && s.spfOwnFail >= s.dkimOwnFail {
			sa.Action = ActionAuthorizeSPF
		} else {
			sa.Action = ActionSignDKIM
		}
	}
	return sa
}

func (a *Analyzer) abusive(ip string) bool {
	if len(a.opts.Abusive) == 0 {
		return false
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range a.opts.Abusive {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// advice says what to do about a source, naming the domain.
func advice(domain string, s *SourceAnalysis) string {
	who := s.SourceIP
	if s.PTR != "" {
		who += " (" + s.PTR + ")"
	}
	switch s.Action {
	case ActionAuthorizeSPF:
		mech := "ip4:" + s.SourceIP
		if strings.Contains(s.SourceIP, ":") {
			mech = "ip6:" + s.SourceIP
		}
		return fmt.Sprintf("%s uses %s as envelope sender without SPF authorising it: add it to the SPF record of %s (%s, or its provider's include:), and sign its mail with DKIM for %s", who, orList(s.SPFDomains, domain), domain, mech, domain)
	case ActionSignDKIM:
		var own, other []string
		for _, d := range s.DKIMDomains {
			if d == domain || strings.HasSuffix(d, "."+domain) {
				own = append(own, d)
			} else {
				other = append(other, d)
			}
		}
		if len(other) > 0 {
			return fmt.Sprintf("%s signs as %s, not as %s: configure DKIM signing with d=%s (custom DKIM at the provider) and publish its key", who, strings.Join(other, ", "), domain, domain)
		}
		if len(own) > 0 {
			return fmt.Sprintf("%s signs as %s, but receivers did not count the signature as passing and aligned for %s: check that the selector's published key matches the signing key and, with adkim=s, that d= is exactly %s", who, strings.Join(own, ", "), domain, domain)
		}
		return fmt.Sprintf("%s does not sign with DKIM for %s: configure DKIM signing with d=%s and publish its key", who, domain, domain)
	case ActionAbuse:
		if s.SourceIP == otherSources {
			return "sources beyond the analysis limit, counted together"
		}
		return fmt.Sprintf("nothing %s sends as %s passes SPF or DKIM: treat it as abuse (an enforcing policy stops it); if it is yours, authorise it in SPF and sign with DKIM", who, domain)
	case ActionForwarded:
		return fmt.Sprintf("%s relays mail of %s (override reason %s); no action: DKIM signatures let it pass", who, domain, strings.Join(keys(s.Overrides), ", "))
	}
	return ""
}

func orList(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return strings.Join(list, ", ")
}

func keys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortAtRisk(r []AtRisk) {
	sort.Slice(r, func(i, j int) bool {
		if r[i].Failing != r[j].Failing {
			return r[i].Failing > r[j].Failing
		}
		return r[i].SourceIP < r[j].SourceIP
	})
}

// maxNamed bounds the sources a finding names.
const maxNamed = 5

// findings says what the analysis of a domain found.
func (a *Analyzer) findings(d *domainAcc, da *DomainAnalysis) finding.List {
	fs := finding.List{}
	enforced := enforcing(da.Readiness.Step)
	byAction := map[Action][]SourceAnalysis{}
	for _, s := range da.Sources {
		if s.DMARCFail > 0 {
			byAction[s.Action] = append(byAction[s.Action], s)
		}
	}
	group := func(spec *finding.Spec, srcs []SourceAnalysis, what, fix string, sev finding.Severity) {
		if len(srcs) == 0 {
			return
		}
		var n int64
		var named []string
		for i, s := range srcs {
			n += s.DMARCFail - s.Forwarded
			if i < maxNamed {
				w := s.SourceIP
				if s.PTR != "" {
					w += " (" + s.PTR + ")"
				}
				named = append(named, fmt.Sprintf("%s: %d", w, s.DMARCFail-s.Forwarded))
			}
		}
		more := ""
		if len(srcs) > maxNamed {
			more = fmt.Sprintf(" and %d more", len(srcs)-maxNamed)
		}
		f := spec.New(fmt.Sprintf("%d sources (%d failing messages) %s: %s%s", len(srcs), n, what, strings.Join(named, ", "), more), fix)
		fs = append(fs, f.WithSeverity(sev))
	}
	legitSev := finding.Warning
	if enforced {
		legitSev = finding.Error
	}
	group(FindAuthorizeSPF, byAction[ActionAuthorizeSPF], fmt.Sprintf("use %s as envelope sender without SPF authorising them", d.name),
		fmt.Sprintf("add these sources to the SPF record of %s, and sign their mail with DKIM for %s", d.name, d.name), legitSev)
	group(FindSignDKIM, byAction[ActionSignDKIM], fmt.Sprintf("send as %s without an aligned DKIM signature", d.name),
		fmt.Sprintf("configure each to sign with d=%s and publish the selector's key", d.name), legitSev)
	spoofSev := finding.Warning
	if enforced {
		spoofSev = finding.Info
	}
	group(FindSpoofing, byAction[ActionAbuse], fmt.Sprintf("send as %s and pass neither SPF nor DKIM", d.name),
		"check their reverse DNS names: authorise and sign any that are yours; an enforcing policy blocks the rest", spoofSev)
	group(FindForwarded, byAction[ActionForwarded], "relay the domain's mail (forwarding override reasons)",
		fmt.Sprintf("sign all mail of %s with DKIM so that it survives forwarding", d.name), finding.Info)
	r := &da.Readiness
	if spfOnly := r.LegitimatePass - r.LegitimateDKIM; r.LegitimateMessages > 0 && float64(spfOnly)/float64(r.LegitimateMessages) > 1-a.opts.Thresholds.RejectDKIMShare {
		fs = append(fs, FindSPFOnly.New(fmt.Sprintf("%d of %d legitimate-looking messages (%s) pass DMARC through SPF alone, without aligned DKIM", spfOnly, r.LegitimateMessages, pct(float64(spfOnly)/float64(r.LegitimateMessages))),
			fmt.Sprintf("sign that mail with DKIM for %s before p=reject", d.name)))
	}
	// With RequireReady, a verdict that does not allow the next step is
	// an error: the domain's status fails.
	gate := func(f finding.Finding) finding.Finding {
		if a.opts.RequireReady {
			return f.WithSeverity(finding.Error)
		}
		return f
	}
	switch r.Verdict {
	case VerdictReady:
		fs = append(fs, FindReady.New(fmt.Sprintf("%s can move from %s to %s: %s", d.name, r.StepName, r.Next.Name, strings.Join(r.Reasons, "; ")), fmt.Sprintf("publish _dmarc.%s TXT %q", d.name, r.Next.Record)))
	case VerdictHold:
		fs = append(fs, gate(FindHold.New(fmt.Sprintf("%s: %s", d.name, strings.Join(r.Reasons, "; ")), fmt.Sprintf("keep %s; then publish _dmarc.%s TXT %q", r.StepName, d.name, r.Next.Record))))
	case VerdictNotReady:
		fs = append(fs, gate(FindNotReady.New(fmt.Sprintf("%s should stay at %s: %s", d.name, r.StepName, strings.Join(r.Reasons, "; ")), "fix the sources of the authorize-spf and sign-dkim findings first")))
	case VerdictInsufficientData:
		fs = append(fs, gate(FindInsufficientData.New(fmt.Sprintf("%s: %s", d.name, strings.Join(r.Reasons, "; ")), "")))
	case VerdictEnforced:
		fs = append(fs, FindEnforced.Newf("%s is at p=reject", d.name))
	}
	if d.overflow > 0 {
		fs = append(fs, FindTooManySources.Newf("%s: more than %d sources; %d rows of the others were counted together", d.name, a.opts.MaxSources, d.overflow))
	}
	return fs
}

func tenants(domains []DomainAnalysis) []TenantAnalysis {
	by := map[string]*TenantAnalysis{}
	var order []string
	for _, d := range domains {
		t := by[d.Tenant]
		if t == nil {
			t = &TenantAnalysis{Tenant: d.Tenant, Domains: []string{}, Verdicts: map[Verdict]int{}, Status: finding.StatusSkip}
			by[d.Tenant] = t
			order = append(order, d.Tenant)
		}
		t.Domains = append(t.Domains, d.Domain)
		t.Messages += d.Messages
		t.DMARCFail += d.DMARCFail
		t.LegitimateMessages += d.Readiness.LegitimateMessages
		t.LegitimatePass += d.Readiness.LegitimatePass
		t.Verdicts[d.Readiness.Verdict]++
		t.Status = finding.Worst(t.Status, d.Status)
	}
	sort.Strings(order)
	out := make([]TenantAnalysis, 0, len(order))
	for _, n := range order {
		t := by[n]
		if t.LegitimateMessages > 0 {
			t.PassShare = float64(t.LegitimatePass) / float64(t.LegitimateMessages)
		}
		sort.Strings(t.Domains)
		out = append(out, *t)
	}
	return out
}

type ptrResult struct {
	name, err string
	transient bool
}

// lookupPTRs looks up the reverse DNS names of the sources, failing ones
// first, at most MaxLookups, Concurrency at a time.
func (a *Analyzer) lookupPTRs(ctx context.Context, ro ResultOptions) map[string]ptrResult {
	max, conc := ro.MaxLookups, ro.Concurrency
	if max <= 0 {
		max = 200
	}
	if conc <= 0 {
		conc = 8
	}
	type cand struct {
		ip            string
		fail, message int64
	}
	agg := map[string]*cand{}
	for _, d := range a.domains {
		for ip, s := range d.sources {
			c := agg[ip]
			if c == nil {
				c = &cand{ip: ip}
				agg[ip] = c
			}
			c.fail += s.messages - s.pass
			c.message += s.messages
		}
	}
	list := make([]*cand, 0, len(agg))
	for _, c := range agg {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].fail != list[j].fail {
			return list[i].fail > list[j].fail
		}
		if list[i].message != list[j].message {
			return list[i].message > list[j].message
		}
		return list[i].ip < list[j].ip
	})
	if len(list) > max {
		list = list[:max]
	}
	out := map[string]ptrResult{}
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ip := range work {
				r := lookupPTR(ctx, ro.Resolver, ip)
				mu.Lock()
				out[ip] = r
				mu.Unlock()
			}
		}()
	}
	for _, c := range list {
		if ctx.Err() != nil {
			break
		}
		work <- c.ip
	}
	close(work)
	wg.Wait()
	return out
}

func lookupPTR(ctx context.Context, r dns.Resolver, ip string) ptrResult {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ptrResult{err: "not an IP address"}
	}
	ans, err := r.Query(ctx, ReverseName(addr), dns.TypePTR)
	if err != nil {
		return ptrResult{err: err.Error(), transient: dns.IsTemporary(err) || dns.IsTimeout(err)}
	}
	if ans.NXDomain() || len(ans.Records) == 0 {
		return ptrResult{err: "no PTR record"}
	}
	for _, rec := range ans.Records {
		if rec.Type == dns.TypePTR && rec.Target != "" {
			return ptrResult{name: rec.Target}
		}
	}
	return ptrResult{err: "no PTR record"}
}

// ReverseName returns the in-addr.arpa or ip6.arpa name of addr.
func ReverseName(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is4() {
		a := addr.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", a[3], a[2], a[1], a[0])
	}
	a := addr.As16()
	var b strings.Builder
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa")
	return b.String()
}
