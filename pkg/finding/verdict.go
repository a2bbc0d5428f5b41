package finding

import (
	"fmt"
	"sort"
	"strings"
)

// This file is emailauth's one verdict model. Every check package and every
// command derives a status from its findings with Judge, ranks statuses with
// Status.Rank and Worst, and turns the statuses of a run into an exit code
// with Tally.ExitCode. Nothing else decides what is a failure.

// Status is the outcome of a piece of work (a check of one domain, a
// selector, a probe, a domain, a message), judged from its findings.
type Status string

// The statuses. JSON carries them as these strings.
const (
	StatusPass  Status = "pass"  // nothing wrong (info findings allowed)
	StatusWarn  Status = "warn"  // only warnings
	StatusFail  Status = "fail"  // a misconfiguration was found
	StatusError Status = "error" // could not complete: nothing definite was found wrong, but something could not be found out
	StatusSkip  Status = "skip"  // not run, or not applicable
)

// Statuses lists every status from least to most severe.
var Statuses = []Status{StatusSkip, StatusPass, StatusWarn, StatusError, StatusFail}

// Rank orders statuses from least to most severe: skip < pass < warn <
// error < fail. A failure outranks an error: what is definitely wrong is
// reported even when something else could not be checked. An unknown status
// ranks below skip.
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

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return s.Rank() >= 0 }

// ParseStatus parses a status name, case-insensitively.
func ParseStatus(name string) (Status, error) {
	s := Status(strings.ToLower(strings.TrimSpace(name)))
	if !s.Valid() {
		return "", fmt.Errorf("finding: unknown status %q (want pass, warn, fail, error or skip)", name)
	}
	return s, nil
}

// Worst returns the highest-ranked of ss, or StatusSkip when there is none.
func Worst(ss ...Status) Status {
	w := StatusSkip
	for _, s := range ss {
		if s.Rank() > w.Rank() {
			w = s
		}
	}
	return w
}

// Judge derives the status of a piece of work from its findings and whether
// it completed:
//
//   - fail when a finding of severity error is not transient: something is
//     definitely wrong, whatever else could not be found out;
//   - error when a finding is transient (a DNS timeout or SERVFAIL, an
//     unreachable server) or the work did not complete: "we could not find
//     out" is never reported as "the domain is broken";
//   - warn when a finding is a warning;
//   - pass otherwise (info findings allowed).
func Judge(fs []Finding, complete bool) Status {
	failed, transient, warned := false, false, false
	for _, f := range fs {
		switch {
		case f.Transient:
			transient = true
		case f.Severity >= Error:
			failed = true
		case f.Severity == Warning:
			warned = true
		}
	}
	switch {
	case failed:
		return StatusFail
	case transient || !complete:
		return StatusError
	case warned:
		return StatusWarn
	}
	return StatusPass
}

// Sort orders findings most severe first; among equals, a definite finding
// before a transient one, and otherwise the order they were found in.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Severity != fs[j].Severity {
			return fs[i].Severity > fs[j].Severity
		}
		return !fs[i].Transient && fs[j].Transient
	})
}

// Exit codes: a documented contract (docs/exit-codes.md), the same for every
// command.
const (
	ExitOK         = 0 // everything checked passed (warnings allowed)
	ExitFailed     = 1 // a check or a verification failed
	ExitBadInput   = 2 // usage error or bad input
	ExitIncomplete = 3 // could not complete: DNS timeouts, SERVFAIL, network
)

// Tally counts the statuses of a run's items (domains, messages, records)
// and gives the run's exit code. Its JSON form is the summary of a report.
type Tally struct {
	// Domains counts every item added, whatever its status. (The name is
	// the report's: most runs count domains.)
	Domains int `json:"domains"`
	Pass    int `json:"pass"` // skipped items count as passed
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Error   int `json:"error"`
	// Invalid counts inputs that could not be checked at all because they
	// were malformed (bad input).
	Invalid int `json:"invalid"`
	// NotChecked counts inputs the run never reached (it was interrupted or
	// hit its deadline): they have no result at all.
	NotChecked int `json:"not_checked,omitempty"`
}

// Add counts one item with status s.
func (t *Tally) Add(s Status) {
	t.Domains++
	switch s {
	case StatusWarn:
		t.Warn++
	case StatusFail:
		t.Fail++
	case StatusError:
		t.Error++
	default:
		t.Pass++
	}
}

// AddInvalid counts one input that was malformed.
func (t *Tally) AddInvalid() {
	t.Domains++
	t.Invalid++
}

// Merge adds the counts of o.
func (t *Tally) Merge(o Tally) {
	t.Domains += o.Domains
	t.Pass += o.Pass
	t.Warn += o.Warn
	t.Fail += o.Fail
	t.Error += o.Error
	t.Invalid += o.Invalid
	t.NotChecked += o.NotChecked
}

// Status is the run's overall status: the worst of its items.
func (t Tally) Status() Status {
	switch {
	case t.Fail > 0:
		return StatusFail
	case t.Error > 0 || t.NotChecked > 0:
		return StatusError
	case t.Warn > 0:
		return StatusWarn
	case t.Pass > 0:
		return StatusPass
	}
	return StatusSkip
}

// ExitCode applies the exit-code contract to the run:
//
//   - 1 when an item failed, or warned and failOn is Warning (failure beats
//     everything else: the tenant's DNS is wrong whatever else happened);
//   - 2 when an input was malformed;
//   - 3 when an item could not complete, or the run did not reach every
//     input;
//   - 0 otherwise.
func (t Tally) ExitCode(failOn Severity) int {
	switch {
	case t.Fail > 0 || failOn == Warning && t.Warn > 0:
		return ExitFailed
	case t.Invalid > 0:
		return ExitBadInput
	case t.Error > 0 || t.NotChecked > 0:
		return ExitIncomplete
	}
	return ExitOK
}

// ExitCodeOf is the exit code of a run whose items have statuses ss.
func ExitCodeOf(failOn Severity, ss ...Status) int {
	var t Tally
	for _, s := range ss {
		t.Add(s)
	}
	return t.ExitCode(failOn)
}
