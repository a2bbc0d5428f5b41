package tlsreport

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// SummaryOptions configure a Summarizer.
type SummaryOptions struct {
	// Tenant maps a policy domain to its tenant; nil leaves tenants empty.
	Tenant func(domain string) string
	// MaxGroups caps the failure groups kept per domain (default 1000);
	// the sessions of the others are counted in DomainSummary.OtherFailed.
	MaxGroups int
}

// A Summarizer sums TLS reports per policy domain. Memory grows with the
// domains and failure groups (result type, MX, IP), not with the reports.
// It is not safe for concurrent use.
type Summarizer struct {
	opts    SummaryOptions
	domains map[string]*domainAcc
	seen    map[[2]string]bool
	dups    int
	reports int
}

type domainAcc struct {
	sum       DomainSummary
	policies  map[string]*PolicySummary
	groups    map[groupKey]*FailureGroup
	reporters map[string]bool
	patterns  map[string]bool
}

type groupKey struct{ result, mx, ip string }

// Summary is what a set of TLS reports says, per policy domain.
type Summary struct {
	Reports    int             `json:"reports"`
	Duplicates int             `json:"duplicates"`
	Domains    []DomainSummary `json:"domains"`
}

// DomainSummary is what the reports say about one policy domain.
type DomainSummary struct {
	Domain    string    `json:"domain"`
	Tenant    string    `json:"tenant,omitempty"`
	Reports   int       `json:"reports"`
	Reporters []string  `json:"reporters"`
	Begin     time.Time `json:"begin"`
	End       time.Time `json:"end"`
	// Successful and Failed are the session totals over every policy.
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	// Policies are the totals per policy type, sts first.
	Policies []PolicySummary `json:"policies"`
	// Failures groups failed sessions by result type, MX and IP, most
	// first.
	Failures    []FailureGroup `json:"failures"`
	OtherFailed int64          `json:"other_failed,omitempty"`
	// MXPatterns are the mx: lines of the MTA-STS policies reported.
	MXPatterns []string       `json:"mx_patterns,omitempty"`
	Findings   finding.List   `json:"findings"`
	Status     finding.Status `json:"status"`
}

// PolicySummary is the session totals of one policy type.
type PolicySummary struct {
	Type       string `json:"type"`
	Successful int64  `json:"successful"`
	Failed     int64  `json:"failed"`
	// Mode is the MTA-STS mode of the latest report.
	Mode string `json:"mode,omitempty"`
	// FailureRate is Failed over all sessions, from 0 to 1.
	FailureRate float64 `json:"failure_rate"`
	modeAt      time.Time
}

// FailureGroup is the failed sessions of one result type to one MX and IP.
type FailureGroup struct {
	ResultType  string   `json:"result_type"`
	PolicyType  string   `json:"policy_type"`
	ReceivingMX string   `json:"receiving_mx,omitempty"`
	ReceivingIP string   `json:"receiving_ip,omitempty"`
	Sessions    int64    `json:"sessions"`
	SendingMTAs []string `json:"sending_mtas,omitempty"`
	ReasonCodes []string `json:"reason_codes,omitempty"`
	Reporters   []string `json:"reporters"`
	// NotInPolicy is set when the MX matches no mx: line of the domain's
	// MTA-STS policy.
	NotInPolicy bool `json:"not_in_policy,omitempty"`
}

const maxListed = 10

// NewSummarizer returns an empty Summarizer.
func NewSummarizer(opts SummaryOptions) *Summarizer {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = 1000
	}
	return &Summarizer{opts: opts, domains: map[string]*domainAcc{}, seen: map[[2]string]bool{}}
}

// Add counts a report, unless a report with the same organization and
// report ID was added before: it then returns false.
func (s *Summarizer) Add(rep *Report) bool {
	key := [2]string{strings.ToLower(rep.OrganizationName), rep.ReportID}
	if rep.ReportID != "" && s.seen[key] {
		s.dups++
		return false
	}
	s.seen[key] = true
	s.reports++
	counted := map[string]bool{}
	for i := range rep.Policies {
		p := &rep.Policies[i]
		d := s.domain(p.Domain)
		if !counted[p.Domain] {
			counted[p.Domain] = true
			d.sum.Reports++
			if d.sum.Begin.IsZero() || (!rep.Begin.IsZero() && rep.Begin.Before(d.sum.Begin)) {
				d.sum.Begin = rep.Begin
			}
			if rep.End.After(d.sum.End) {
				d.sum.End = rep.End
			}
		}
		d.reporters[rep.OrganizationName] = true
		ps := d.policies[p.Type]
		if ps == nil {
			ps = &PolicySummary{Type: p.Type}
			d.policies[p.Type] = ps
		}
		ps.Successful += p.Successful
		ps.Failed += p.Failed
		if p.Mode != "" && !rep.End.Before(ps.modeAt) {
			ps.Mode, ps.modeAt = p.Mode, rep.End
		}
		d.sum.Successful += p.Successful
		d.sum.Failed += p.Failed
		if p.Type == PolicySTS {
			for _, pat := range p.MXPatterns() {
				if len(d.patterns) < 100 {
					d.patterns[pat] = true
				}
			}
		}
		for _, f := range p.Failures {
			k := groupKey{f.ResultType, f.ReceivingMX, f.ReceivingIP}
			g := d.groups[k]
			if g == nil {
				if len(d.groups) >= s.opts.MaxGroups {
					d.sum.OtherFailed += f.Count
					continue
				}
				g = &FailureGroup{ResultType: f.ResultType, PolicyType: p.Type, ReceivingMX: f.ReceivingMX, ReceivingIP: f.ReceivingIP}
				d.groups[k] = g
			}
			g.Sessions += f.Count
			g.SendingMTAs = addListed(g.SendingMTAs, f.SendingMTAIP)
			g.ReasonCodes = addListed(g.ReasonCodes, f.ReasonCode)
			g.Reporters = addListed(g.Reporters, rep.OrganizationName)
		}
	}
	return true
}

func (s *Summarizer) domain(name string) *domainAcc {
	d := s.domains[name]
	if d == nil {
		d = &domainAcc{sum: DomainSummary{Domain: name}, policies: map[string]*PolicySummary{}, groups: map[groupKey]*FailureGroup{}, reporters: map[string]bool{}, patterns: map[string]bool{}}
		if s.opts.Tenant != nil {
			d.sum.Tenant = s.opts.Tenant(name)
		}
		s.domains[name] = d
	}
	return d
}

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

// Result returns the summary: domains with the most failed sessions
// first, each with its findings and status.
func (s *Summarizer) Result() *Summary {
	out := &Summary{Reports: s.reports, Duplicates: s.dups, Domains: []DomainSummary{}}
	for _, d := range s.domains {
		sum := d.sum
		sum.Policies, sum.Failures = []PolicySummary{}, []FailureGroup{}
		sum.Reporters = sortedKeys(d.reporters)
		sum.MXPatterns = sortedKeys(d.patterns)
		for _, t := range []string{PolicySTS, PolicyTLSA, PolicyNoPolicyFound, PolicyUnknown} {
			if ps := d.policies[t]; ps != nil {
				if total := ps.Successful + ps.Failed; total > 0 {
					ps.FailureRate = float64(ps.Failed) / float64(total)
				}
				sum.Policies = append(sum.Policies, *ps)
			}
		}
		for _, g := range d.groups {
			if g.PolicyType == PolicySTS && len(d.patterns) > 0 && g.ReceivingMX != "" && !MatchesAny(sum.MXPatterns, g.ReceivingMX) {
				g.NotInPolicy = true
			}
			sort.Strings(g.Reporters)
			sum.Failures = append(sum.Failures, *g)
		}
		sort.Slice(sum.Failures, func(i, j int) bool {
			a, b := sum.Failures[i], sum.Failures[j]
			if a.Sessions != b.Sessions {
				return a.Sessions > b.Sessions
			}
			if a.ResultType != b.ResultType {
				return a.ResultType < b.ResultType
			}
			return a.ReceivingMX+a.ReceivingIP < b.ReceivingMX+b.ReceivingIP
		})
		sum.Findings = findings(&sum, d.policies)
		finding.Sort(sum.Findings)
		sum.Status = finding.Judge(sum.Findings, true)
		out.Domains = append(out.Domains, sum)
	}
	sort.Slice(out.Domains, func(i, j int) bool {
		a, b := out.Domains[i], out.Domains[j]
		if a.Failed != b.Failed {
			return a.Failed > b.Failed
		}
		return a.Domain < b.Domain
	})
	return out
}

// findings says what to fix, one finding per failure group.
func findings(sum *DomainSummary, policies map[string]*PolicySummary) finding.List {
	fs := finding.List{}
	for _, g := range sum.Failures {
		spec := resultFindings[g.ResultType]
		if g.NotInPolicy {
			spec = FindMXNotInPolicy
		}
		if spec == nil {
			spec = FindUnknownResult
		}
		mx := g.ReceivingMX
		where := ""
		if mx != "" {
			where = " to " + mx
			if g.ReceivingIP != "" {
				where += " (" + g.ReceivingIP + ")"
			}
		} else if g.ReceivingIP != "" {
			where = " to " + g.ReceivingIP
		}
		msg := fmt.Sprintf("%s%s failed with %s, reported by %s", sessions(g.Sessions, g.PolicyType), where, g.ResultType, strings.Join(g.Reporters, ", "))
		if len(g.ReasonCodes) > 0 {
			msg += "; reason: " + strings.Join(g.ReasonCodes, ", ")
		}
		var fix string
		switch spec {
		case FindMXNotInPolicy:
			msg = fmt.Sprintf("%s%s failed (%s): no mx: line of the MTA-STS policy (%s) matches %s", sessions(g.Sessions, ""), where, g.ResultType, strings.Join(sum.MXPatterns, ", "), mx)
			fix = fmt.Sprintf("add \"mx: %s\" to the MTA-STS policy of %s and change the id of _mta-sts.%s, or remove the MX", g.ReceivingMX, sum.Domain, sum.Domain)
		case FindStarttlsNotSupported:
			fix = fmt.Sprintf("enable STARTTLS on %s", mx)
		case FindCertificateExpired:
			fix = fmt.Sprintf("renew the certificate of %s", mx)
		case FindCertificateHostMismatch:
			fix = fmt.Sprintf("install a certificate for %s on that MX", mx)
		case FindCertificateNotTrusted:
			fix = fmt.Sprintf("serve a publicly trusted certificate with its full chain on %s", mx)
		case FindSTSPolicyFetch, FindSTSPolicyInvalid:
			fix = fmt.Sprintf("serve a valid policy at https://mta-sts.%s/.well-known/mta-sts.txt", displayDomain(sum.Domain))
		case FindSTSWebPKIInvalid:
			fix = fmt.Sprintf("serve mta-sts.%s with a valid certificate for that name", displayDomain(sum.Domain))
		}
		f := spec.New(msg, fix).WithName(g.ReceivingMX)
		if ps := policies[g.PolicyType]; g.PolicyType == PolicySTS && ps != nil && ps.Mode == "testing" && f.Severity > finding.Warning {
			// In testing mode senders delivered the mail all the same.
			f = f.WithSeverity(finding.Warning)
			f.Message += " (MTA-STS testing mode: the mail was delivered)"
		}
		fs = append(fs, f)
	}
	if ps := policies[PolicyNoPolicyFound]; ps != nil && ps.Successful+ps.Failed > 0 && policies[PolicySTS] == nil && policies[PolicyTLSA] == nil {
		fs = append(fs, FindNoPolicy.New(fmt.Sprintf("%s to %s found no MTA-STS or DANE policy", sessions(ps.Successful+ps.Failed, ""), displayDomain(sum.Domain)),
			fmt.Sprintf("publish an MTA-STS policy for %s (mode: testing first)", displayDomain(sum.Domain))))
	}
	return fs
}

// sessions formats a session count: "1 sts session", "3 sessions".
func sessions(n int64, kind string) string {
	if kind != "" {
		kind += " "
	}
	if n == 1 {
		return "1 " + kind + "session"
	}
	return fmt.Sprintf("%d %ssessions", n, kind)
}

// displayDomain names a policy domain in messages; reports that leave it
// out are summed under "".
func displayDomain(d string) string {
	if d == "" {
		return "(no policy-domain)"
	}
	return d
}

// MatchesAny reports whether host matches one of the MTA-STS mx patterns
// (RFC 8461 §4.1: a pattern "*.example.com" matches exactly one more
// label on the left; otherwise names compare case-insensitively).
func MatchesAny(patterns []string, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, p := range patterns {
		p = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p)), ".")
		if rest, ok := strings.CutPrefix(p, "*."); ok {
			if label, parent, ok := strings.Cut(host, "."); ok && label != "" && parent == rest {
				return true
			}
			continue
		}
		if p == host {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
