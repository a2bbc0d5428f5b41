package check

import (
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Schema names the version of the report's JSON shape. The shape is a
// contract (docs/report.md, docs/report.schema.json): fields are only ever
// added within a version.
const Schema = "emailauth.report/v1"

// Status is the outcome of a check, or of a domain (the worst of its checks).
type Status string

// Statuses, in the order used to rank a domain: a domain's status is the
// highest-ranked status of its checks (fail > error > warn > pass > skip).
const (
	StatusPass  Status = "pass"  // nothing wrong (info findings allowed)
	StatusWarn  Status = "warn"  // only warnings
	StatusFail  Status = "fail"  // a misconfiguration was found
	StatusError Status = "error" // the check could not complete
	StatusSkip  Status = "skip"  // not run (not selected, not applicable)
)

// Rank orders statuses from least to most severe for a domain's status.
func (s Status) Rank() int {
	switch s {
	case StatusSkip:
		return 0
	case StatusPass:
		return 1
	case StatusWarn:
		return 2
	case StatusError:
		return 3
	case StatusFail:
		return 4
	}
	return -1
}

// The checks, by their stable names.
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
)

// AllChecks lists every check in report order.
var AllChecks = []string{CheckMX, CheckSPF, CheckDKIM, CheckDMARC, CheckMTASTS, CheckTLSRPT, CheckBIMI, CheckDNSSEC, CheckSTARTTLS}

// Report is the result of checking one or more domains.
type Report struct {
	Schema  string          `json:"schema"`
	Domains []*DomainResult `json:"domains"`
	Summary Summary         `json:"summary"`
}

// DomainResult is everything found about one domain.
type DomainResult struct {
	// Domain is the name checked, in A-label form (IDNA), lower case.
	Domain string `json:"domain"`
	// Unicode is the name in U-label form when it differs from Domain
	// ("bücher.example" for "xn--bcher-kva.example"); absent otherwise.
	Unicode string         `json:"unicode,omitempty"`
	Status  Status         `json:"status"`
	Checks  []*CheckResult `json:"checks"`
	// Error is set when the domain could not be checked at all: a malformed
	// name (bad input) is reported here and the other domains still run.
	Error string `json:"error,omitempty"`
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
}

// Summary counts domains by status.
type Summary struct {
	Domains int `json:"domains"`
	Pass    int `json:"pass"`
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Error   int `json:"error"`
	// Invalid counts inputs that were not valid domain names.
	Invalid int `json:"invalid"`
}

// Add counts one domain's result.
func (s *Summary) Add(d *DomainResult) {
	s.Domains++
	switch {
	case d.Error != "" && len(d.Checks) == 0:
		s.Invalid++
	case d.Status == StatusPass || d.Status == StatusSkip:
		s.Pass++
	case d.Status == StatusWarn:
		s.Warn++
	case d.Status == StatusFail:
		s.Fail++
	case d.Status == StatusError:
		s.Error++
	}
}

// StatusFromFindings derives a check's status from its findings: fail when
// one is an error, warn when one is a warning, pass otherwise.
func StatusFromFindings(fs []finding.Finding) Status {
	m, ok := finding.Max(fs)
	switch {
	case !ok:
		return StatusPass
	case m == finding.Error:
		return StatusFail
	case m == finding.Warning:
		return StatusWarn
	}
	return StatusPass
}

// DomainStatus returns the highest-ranked status of the checks.
func DomainStatus(checks []*CheckResult) Status {
	st := StatusSkip
	for _, c := range checks {
		if c.Status.Rank() > st.Rank() {
			st = c.Status
		}
	}
	return st
}

// Invalid is the result of an input that is not a domain name: it is
// reported, counted as invalid (bad input), and not checked.
func Invalid(input string, err error) *DomainResult {
	return &DomainResult{Domain: input, Status: StatusError, Checks: []*CheckResult{}, Error: err.Error()}
}
