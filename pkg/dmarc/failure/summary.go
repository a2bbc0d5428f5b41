package failure

import (
	"sort"
	"strings"
	"time"
)

// SummaryOptions configure a Summarizer.
type SummaryOptions struct {
	// Tenant maps a reported domain to its tenant; nil leaves tenants
	// empty.
	Tenant func(domain string) string
}

// A Summarizer counts failure reports per reported domain. It keeps no
// personal data: only domains, addresses of sources, and counts. It is
// not safe for concurrent use.
type Summarizer struct {
	opts    SummaryOptions
	domains map[string]*domainAcc
	seen    map[[2]string]bool
	reports int
	dups    int
}

type domainAcc struct {
	sum       DomainSummary
	sources   map[string]*SourceCount
	failures  map[string]int64
	results   map[string]int64
	reporters map[string]bool
}

// Summary is what a set of failure reports says, per reported domain.
type Summary struct {
	Reports    int             `json:"reports"`
	Duplicates int             `json:"duplicates"`
	Domains    []DomainSummary `json:"domains"`
}

// DomainSummary counts the failure reports about one domain.
type DomainSummary struct {
	Domain    string    `json:"domain"`
	Tenant    string    `json:"tenant,omitempty"`
	Reports   int       `json:"reports"`
	Incidents int64     `json:"incidents"`
	First     time.Time `json:"first,omitzero"`
	Last      time.Time `json:"last,omitzero"`
	// Sources are the source addresses, most incidents first (at most
	// 100; the rest are in OtherIncidents).
	Sources        []SourceCount `json:"sources"`
	OtherIncidents int64         `json:"other_incidents,omitempty"`
	// AuthFailures counts incidents per Auth-Failure value, and
	// DeliveryResults per Delivery-Result.
	AuthFailures    map[string]int64 `json:"auth_failures"`
	DeliveryResults map[string]int64 `json:"delivery_results"`
	Reporters       []string         `json:"reporters"`
}

// SourceCount is the incidents reported from one source address.
type SourceCount struct {
	SourceIP  string `json:"source_ip"`
	Incidents int64  `json:"incidents"`
}

const maxSources = 100

// NewSummarizer returns an empty Summarizer.
func NewSummarizer(opts SummaryOptions) *Summarizer {
	return &Summarizer{opts: opts, domains: map[string]*domainAcc{}, seen: map[[2]string]bool{}}
}

// Add counts a report, unless a report with the same reporter and ID was
// added before: it then returns false.
func (s *Summarizer) Add(rep *Report) bool {
	key := [2]string{rep.Reporter, rep.ReportID}
	if rep.ReportID != "" && s.seen[key] {
		s.dups++
		return false
	}
	s.seen[key] = true
	s.reports++
	d := s.domains[rep.ReportedDomain]
	if d == nil {
		d = &domainAcc{sum: DomainSummary{Domain: rep.ReportedDomain}, sources: map[string]*SourceCount{}, failures: map[string]int64{}, results: map[string]int64{}, reporters: map[string]bool{}}
		if s.opts.Tenant != nil {
			d.sum.Tenant = s.opts.Tenant(rep.ReportedDomain)
		}
		s.domains[rep.ReportedDomain] = d
	}
	n := max(rep.Incidents, 1)
	d.sum.Reports++
	d.sum.Incidents += n
	when := rep.ArrivalDate
	if when.IsZero() {
		when = rep.Date
	}
	if !when.IsZero() {
		if d.sum.First.IsZero() || when.Before(d.sum.First) {
			d.sum.First = when
		}
		if when.After(d.sum.Last) {
			d.sum.Last = when
		}
	}
	if ip := rep.SourceIP; ip != "" {
		if sc := d.sources[ip]; sc != nil {
			sc.Incidents += n
		} else if len(d.sources) < 10*maxSources {
			d.sources[ip] = &SourceCount{SourceIP: ip, Incidents: n}
		} else {
			d.sum.OtherIncidents += n
		}
	}
	for _, f := range rep.AuthFailure {
		if len(d.failures) < 32 {
			d.failures[f] += n
		}
	}
	if r := rep.DeliveryResult; r != "" && len(d.results) < 32 {
		d.results[r] += n
	}
	if len(d.reporters) < 100 {
		d.reporters[strings.ToLower(rep.Reporter)] = true
	}
	return true
}

// Result returns the summary, domains with the most incidents first.
func (s *Summarizer) Result() *Summary {
	out := &Summary{Reports: s.reports, Duplicates: s.dups, Domains: []DomainSummary{}}
	for _, d := range s.domains {
		sum := d.sum
		sum.AuthFailures, sum.DeliveryResults = d.failures, d.results
		sum.Sources = []SourceCount{}
		for _, sc := range d.sources {
			sum.Sources = append(sum.Sources, *sc)
		}
		sort.Slice(sum.Sources, func(i, j int) bool {
			if sum.Sources[i].Incidents != sum.Sources[j].Incidents {
				return sum.Sources[i].Incidents > sum.Sources[j].Incidents
			}
			return sum.Sources[i].SourceIP < sum.Sources[j].SourceIP
		})
		if len(sum.Sources) > maxSources {
			for _, sc := range sum.Sources[maxSources:] {
				sum.OtherIncidents += sc.Incidents
			}
			sum.Sources = sum.Sources[:maxSources]
		}
		sum.Reporters = []string{}
		for r := range d.reporters {
			sum.Reporters = append(sum.Reporters, r)
		}
		sort.Strings(sum.Reporters)
		out.Domains = append(out.Domains, sum)
	}
	sort.Slice(out.Domains, func(i, j int) bool {
		if out.Domains[i].Incidents != out.Domains[j].Incidents {
			return out.Domains[i].Incidents > out.Domains[j].Incidents
		}
		return out.Domains[i].Domain < out.Domains[j].Domain
	})
	return out
}
