package aggregate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dmarc"
)

// Thresholds are the numbers of the readiness rule. RFC 9989 says when to
// move (§5.1.5-§5.1.7: once all legitimate mail authenticates; §7.4: p=none
// for at least a month, then p=quarantine as long, before p=reject) but
// gives no figures: the shares and counts here are emailauth's own
// judgement, and every one can be changed.
type Thresholds struct {
	// MinMessages is the fewest legitimate-looking messages the reports
	// must cover to judge at all (default 100).
	MinMessages int64 `json:"min_messages"`
	// MinDays is the shortest period the reports must cover to judge at
	// all (default 14).
	MinDays float64 `json:"min_days"`
	// QuarantineShare is the share of legitimate-looking mail that must
	// pass DMARC to step up to p=quarantine (default 0.98).
	QuarantineShare float64 `json:"quarantine_share"`
	// RejectShare is the share needed to step up to p=reject (default
	// 0.995).
	RejectShare float64 `json:"reject_share"`
	// RejectDKIMShare is the share of legitimate-looking mail that must
	// pass with aligned DKIM to step up to p=reject (default 0.95):
	// RFC 9989 §7.4 says a domain publishing p=reject MUST NOT rely on SPF
	// alone.
	RejectDKIMShare float64 `json:"reject_dkim_share"`
	// StepDays is how long the reports must show the domain at p=none,
	// and then at p=quarantine, before the next step (default 30: RFC
	// 9989 §7.4 asks for at least a month of each).
	StepDays float64 `json:"step_days"`
	// TestingDays is how long at a t=y step before the next (default 14).
	TestingDays float64 `json:"testing_days"`
}

// DefaultThresholds are the readiness rule's defaults.
var DefaultThresholds = Thresholds{MinMessages: 100, MinDays: 14, QuarantineShare: 0.98, RejectShare: 0.995, RejectDKIMShare: 0.95, StepDays: 30, TestingDays: 14}

func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds
	if t.MinMessages <= 0 {
		t.MinMessages = d.MinMessages
	}
	if t.MinDays <= 0 {
		t.MinDays = d.MinDays
	}
	if t.QuarantineShare <= 0 {
		t.QuarantineShare = d.QuarantineShare
	}
	if t.RejectShare <= 0 {
		t.RejectShare = d.RejectShare
	}
	if t.RejectDKIMShare <= 0 {
		t.RejectDKIMShare = d.RejectDKIMShare
	}
	if t.StepDays <= 0 {
		t.StepDays = d.StepDays
	}
	if t.TestingDays <= 0 {
		t.TestingDays = d.TestingDays
	}
	return t
}

// Verdict is the outcome of the readiness rule.
type Verdict string

// The verdicts.
const (
	// VerdictReady: publish Readiness.Next.
	VerdictReady Verdict = "ready"
	// VerdictHold: the figures allow the next step, but the domain has
	// not been at the current one long enough.
	VerdictHold Verdict = "hold"
	// VerdictNotReady: too much legitimate-looking mail fails.
	VerdictNotReady Verdict = "not-ready"
	// VerdictInsufficientData: too few messages or too short a period.
	VerdictInsufficientData Verdict = "insufficient-data"
	// VerdictEnforced: already at p=reject.
	VerdictEnforced Verdict = "enforced"
)

// The policy steps, from monitoring to enforcement. The t=y steps are RFC
// 9989's test mode (§4.7; Appendix A.6 explains it replaces pct=0).
const (
	StepNone = iota
	StepQuarantineTesting
	StepQuarantine
	StepRejectTesting
	StepReject
)

var stepNames = []string{"p=none", "p=quarantine; t=y", "p=quarantine", "p=reject; t=y", "p=reject"}

// StepName names a policy step ("p=quarantine; t=y").
func StepName(step int) string {
	if step < 0 || step >= len(stepNames) {
		return "unknown"
	}
	return stepNames[step]
}

// stepOf places a published policy on the ladder. A t=y policy, or an RFC
// 7489 pct below 100, is the testing step of its p.
func stepOf(p PolicyPublished) int {
	partial := p.Testing == "y"
	if p.Pct != "" {
		if n, err := strconv.Atoi(p.Pct); err == nil && n < 100 {
			partial = true
		}
	}
	switch p.P {
	case "quarantine":
		if partial {
			return StepQuarantineTesting
		}
		return StepQuarantine
	case "reject":
		if partial {
			return StepRejectTesting
		}
		return StepReject
	}
	return StepNone
}

// enforcing reports whether receivers act on failing mail at a step:
// quarantine, or reject in test mode (which receivers apply as
// quarantine).
func enforcing(step int) bool { return step >= StepQuarantine }

// nextStep is the step after cur.
func nextStep(cur int, skipTesting bool) int {
	if skipTesting {
		switch cur {
		case StepNone, StepQuarantineTesting:
			return StepQuarantine
		default:
			return StepReject
		}
	}
	return min(cur+1, StepReject)
}

// Readiness says whether a domain can move to the next policy step.
type Readiness struct {
	Verdict Verdict `json:"verdict"`
	// Step is the current step (the policy of the latest report), and
	// StepName its name.
	Step     int    `json:"step"`
	StepName string `json:"step_name"`
	// LegitimateMessages counts the mail of legitimate-looking sources
	// (aligned, partly aligned, authenticated as a third party), forwarded
	// mail left out; LegitimatePass how much of it passed DMARC, and
	// LegitimateDKIM how much passed with aligned DKIM.
	LegitimateMessages int64   `json:"legitimate_messages"`
	LegitimatePass     int64   `json:"legitimate_pass"`
	LegitimateDKIM     int64   `json:"legitimate_dkim"`
	PassShare          float64 `json:"pass_share"`
	DKIMShare          float64 `json:"dkim_share"`
	// Days is the period the domain's reports cover, DaysAtStep the part
	// of it at the current step.
	Days       float64 `json:"days"`
	DaysAtStep float64 `json:"days_at_step"`
	// AtRisk are the legitimate-looking sources with failing mail: the
	// sources an enforcing policy would hurt, most failing first.
	AtRisk []AtRisk `json:"at_risk"`
	// Reasons say why the verdict is what it is.
	Reasons []string `json:"reasons"`
	// Next is the step to publish next (for ready and hold).
	Next *NextStep `json:"next,omitempty"`
}

// AtRisk is a legitimate-looking source with failing mail.
type AtRisk struct {
	SourceIP string `json:"source_ip"`
	PTR      string `json:"ptr,omitempty"`
	Failing  int64  `json:"failing"`
	Messages int64  `json:"messages"`
	Action   Action `json:"action"`
}

// NextStep is a record to publish.
type NextStep struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Record string `json:"record"`
	// Notes explain the record: tags kept or added, and what receivers
	// of each generation will do.
	Notes []string `json:"notes"`
}

// judge applies the readiness rule to a domain.
func (a *Analyzer) judge(d *domainAcc, da *DomainAnalysis) Readiness {
	t := a.opts.Thresholds
	cur := stepOf(d.latest)
	r := Readiness{Step: cur, StepName: StepName(cur), AtRisk: []AtRisk{}, Reasons: []string{}}
	for _, s := range da.Sources {
		if !s.Class.Legitimate() {
			continue
		}
		r.LegitimateMessages += s.Messages - s.Forwarded
		r.LegitimatePass += s.DMARCPass
		r.LegitimateDKIM += s.DKIMAligned
		if s.DMARCFail-s.Forwarded > 0 {
			r.AtRisk = append(r.AtRisk, AtRisk{SourceIP: s.SourceIP, PTR: s.PTR, Failing: s.DMARCFail - s.Forwarded, Messages: s.Messages, Action: s.Action})
		}
	}
	if r.LegitimateMessages > 0 {
		r.PassShare = float64(r.LegitimatePass) / float64(r.LegitimateMessages)
		r.DKIMShare = float64(r.LegitimateDKIM) / float64(r.LegitimateMessages)
	}
	r.Days = days(d.begin, d.end)
	if sp := d.steps[cur]; sp != nil {
		r.DaysAtStep = days(sp.begin, sp.end)
	}
	sortAtRisk(r.AtRisk)
	if cur == StepReject {
		r.Verdict = VerdictEnforced
		r.Reasons = append(r.Reasons, "the latest reports show p=reject without testing")
		if len(r.AtRisk) > 0 {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%d legitimate-looking sources have mail rejected", len(r.AtRisk)))
		}
		return r
	}
	if r.LegitimateMessages < t.MinMessages {
		r.Verdict = VerdictInsufficientData
		r.Reasons = append(r.Reasons, fmt.Sprintf("the reports show %d legitimate-looking messages; at least %d are needed", r.LegitimateMessages, t.MinMessages))
	}
	if r.Days < t.MinDays {
		r.Verdict = VerdictInsufficientData
		r.Reasons = append(r.Reasons, fmt.Sprintf("the reports cover %.1f days; at least %g are needed", r.Days, t.MinDays))
	}
	if r.Verdict != "" {
		return r
	}
	next := nextStep(cur, a.opts.SkipTesting)
	share, need := r.PassShare, t.QuarantineShare
	if next >= StepRejectTesting {
		need = t.RejectShare
	}
	ok := true
	if share < need {
		ok = false
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s of legitimate-looking mail passes DMARC; %s needs %s", pct(share), StepName(next), pct(need)))
	}
	if next >= StepRejectTesting && r.DKIMShare < t.RejectDKIMShare {
		ok = false
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s of legitimate-looking mail passes with aligned DKIM; %s needs %s (RFC 9989 §7.4: do not rely on SPF alone)", pct(r.DKIMShare), StepName(next), pct(t.RejectDKIMShare)))
	}
	if !ok {
		r.Verdict = VerdictNotReady
		if len(r.AtRisk) > 0 {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%d legitimate-looking sources have failing mail", len(r.AtRisk)))
		}
		return r
	}
	r.Next = a.nextRecord(d, next)
	r.Reasons = append(r.Reasons, fmt.Sprintf("%s of legitimate-looking mail passes DMARC (%s needs %s)", pct(share), StepName(next), pct(need)))
	days := t.StepDays
	if cur == StepQuarantineTesting || cur == StepRejectTesting {
		days = t.TestingDays
	}
	if r.DaysAtStep < days {
		r.Verdict = VerdictHold
		r.Reasons = append(r.Reasons, fmt.Sprintf("the reports show %.1f days at %s; wait until they show %g", r.DaysAtStep, StepName(cur), days))
		return r
	}
	r.Verdict = VerdictReady
	return r
}

// nextRecord builds the record of a step from the published record (when
// the caller gave it) or from what the reports say.
func (a *Analyzer) nextRecord(d *domainAcc, step int) *NextStep {
	ns := &NextStep{Step: step, Name: StepName(step), Notes: []string{}}
	var rec *dmarc.Record
	if txt, ok := a.opts.CurrentRecords[d.name]; ok {
		if r, err := dmarc.Parse(txt); err == nil {
			rec = r
		}
	}
	if rec == nil {
		p := d.latest
		tags := []string{"v=DMARC1", "p=" + orNone(p.P)}
		for _, x := range [][2]string{{"sp", p.SP}, {"np", p.NP}, {"adkim", p.ADKIM}, {"aspf", p.ASPF}} {
			if x[1] != "" {
				tags = append(tags, x[0]+"="+x[1])
			}
		}
		rec, _ = dmarc.Parse(strings.Join(tags, "; "))
		ns.Notes = append(ns.Notes, "built from the policy the reports show: add the rua= (and ruf=) of the published record, which reports do not carry")
	}
	target := "none"
	switch step {
	case StepQuarantineTesting, StepQuarantine:
		target = "quarantine"
	case StepRejectTesting, StepReject:
		target = "reject"
	}
	testing := step == StepQuarantineTesting || step == StepRejectTesting
	tval := ""
	if testing {
		tval = "y"
	}
	ns.Record = dmarc.Suggest(rec, "p="+target, "t="+tval)
	if testing {
		if a.opts.OmitPct {
			ns.Notes = append(ns.Notes, fmt.Sprintf("t=y: RFC 9989 receivers apply one step less than p=%s; RFC 7489 receivers ignore t and apply p=%s in full", target, target))
		} else {
			ns.Record += "; pct=0"
			ns.Notes = append(ns.Notes, fmt.Sprintf("t=y: RFC 9989 receivers apply one step less than p=%s; pct=0 asks RFC 7489 receivers, which ignore t, for the same (RFC 9989 Appendix A.6 makes t=y the successor of pct=0)", target))
		}
	}
	if step == StepReject || step == StepRejectTesting {
		ns.Notes = append(ns.Notes, "RFC 9989 §7.4: a domain whose users post to mailing lists should not publish p=reject, or should tell them it hinders their participation")
	}
	if rec != nil && rec.SP == "" && d.latest.SP == "" {
		ns.Notes = append(ns.Notes, "no sp=: subdomains follow p as well")
	}
	return ns
}

// days is the length of a report period in days. Reports give the end
// inclusively (begin 00:00:00, end 23:59:59), so a second is added.
func days(begin, end time.Time) float64 {
	if begin.IsZero() || end.Before(begin) {
		return 0
	}
	return (end.Sub(begin) + time.Second).Hours() / 24
}

func orNone(p string) string {
	if p == "quarantine" || p == "reject" {
		return p
	}
	return "none"
}

// pct formats a share as a percentage with up to two decimals.
func pct(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
