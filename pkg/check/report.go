package check

import (
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Schema names the version of the report's JSON shape. The shape is a
// contract (docs/report.md, docs/report.schema.json): fields are only ever
// added within a version.
const Schema = "emailauth.report/v1"

// Status is a check's or a domain's status: the one verdict model of
// pkg/finding.
type Status = finding.Status

// Statuses, re-exported for readers of this package.
const (
	StatusPass  = finding.StatusPass
	StatusWarn  = finding.StatusWarn
	StatusFail  = finding.StatusFail
	StatusError = finding.StatusError
	StatusSkip  = finding.StatusSkip
)

// Report is the result of checking one or more domains.
type Report struct {
	Schema  string          `json:"schema"`
	Domains []*DomainResult `json:"domains"`
	Summary Summary         `json:"summary"`
	// Tenants are the per-tenant summaries of a run over a tenants file,
	// in the file's order; absent otherwise.
	Tenants []TenantSummary `json:"tenants,omitempty"`
}

// TenantSummary is one tenant's domains counted by status.
type TenantSummary struct {
	Tenant  string  `json:"tenant"`
	Status  Status  `json:"status"`
	Summary Summary `json:"summary"`
}

// Tenants tallies domains by tenant, in the order tenants are first seen.
// The zero value is ready; it is not safe for concurrent use.
type Tenants struct {
	order []string
	by    map[string]*Summary
}

// Add counts a domain under its tenant (domains without one under "").
func (t *Tenants) Add(d *DomainResult) {
	if t.by == nil {
		t.by = map[string]*Summary{}
	}
	s, ok := t.by[d.Tenant]
	if !ok {
		s = &Summary{}
		t.by[d.Tenant] = s
		t.order = append(t.order, d.Tenant)
	}
	Count(s, d)
}

// Summary returns the tally of one tenant.
func (t *Tenants) Summary(tenant string) Summary {
	if s, ok := t.by[tenant]; ok {
		return *s
	}
	return Summary{}
}

// List returns every tenant's summary, in the order first seen.
func (t *Tenants) List() []TenantSummary {
	out := make([]TenantSummary, 0, len(t.order))
	for _, id := range t.order {
		s := *t.by[id]
		st := s.Status()
		if s.Invalid > 0 && st.Rank() < StatusError.Rank() {
			st = StatusError // a malformed input is not a pass
		}
		out = append(out, TenantSummary{Tenant: id, Status: st, Summary: s})
	}
	return out
}

// DomainResult is everything found about one domain.
type DomainResult struct {
	// Domain is the name checked, in A-label form (IDNA), lower case.
	Domain string `json:"domain"`
	// Unicode is the name in U-label form when it differs from Domain
	// ("bücher.example" for "xn--bcher-kva.example"); absent otherwise.
	Unicode string `json:"unicode,omitempty"`
	// Parked is true when the domain sends and receives no mail (a null
	// MX and "v=spf1 -all"): what only a domain that sends or receives
	// needs (DKIM keys, TLS-RPT) is then not reported missing.
	Parked bool           `json:"parked,omitempty"`
	Status Status         `json:"status"`
	Checks []*CheckResult `json:"checks"`
	// Error is set when the domain could not be checked at all: a malformed
	// name (bad input) is reported here and the other domains still run.
	Error string `json:"error,omitempty"`
	// Tenant is the tenant the domain belongs to (a tenants file).
	Tenant string `json:"tenant,omitempty"`

	// silent: the domain's first question got no answer from anyone (a
	// timeout, a network error, a refusal): RunSeq counts these to tell a
	// dead resolver from dead domains.
	silent bool
}

// CheckResult is the outcome of one check of one domain.
type CheckResult struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Records are the DNS records (or policy texts) the check examined, as
	// published.
	Records []string `json:"records"`
	// Findings, most severe first.
	Findings finding.List `json:"findings"`
	// Details holds the check's own structured result (the SPF tree, the
	// DKIM selectors, the DMARC discovery...), documented per check.
	Details any `json:"details"`
	// Error says why the check could not complete (status error), or why it
	// was skipped.
	Error string `json:"error,omitempty"`
	// Summary says in a few words what the check found, where its status
	// alone would mislead a reader ("not signed" for a zone without DNSSEC,
	// which passes: it is informational). Absent otherwise.
	Summary string `json:"summary,omitempty"`
	// Ignored are the findings the run's policy dropped (--ignore, a
	// profile's ignore key): kept here so a gate stays auditable.
	Ignored finding.List `json:"ignored,omitempty"`
}

// Summary counts domains by status: the verdict model's Tally, which also
// gives the run's exit code.
type Summary = finding.Tally

// Count adds one domain's result to the summary: an input that was not a
// domain name counts as invalid.
func Count(s *Summary, d *DomainResult) {
	if d.Error != "" && len(d.Checks) == 0 {
		s.AddInvalid()
		return
	}
	s.Add(d.Status)
}

// DomainStatus returns the most severe status of the checks (skip when
// there are none).
func DomainStatus(checks []*CheckResult) Status {
	st := finding.StatusSkip
	for _, c := range checks {
		st = finding.Worst(st, c.Status)
	}
	return st
}

// Invalid is the result of an input that is not a domain name: it is
// reported, counted as invalid (bad input), and not checked.
func Invalid(input string, err error) *DomainResult {
	return &DomainResult{Domain: input, Status: StatusError, Checks: []*CheckResult{}, Error: err.Error()}
}
