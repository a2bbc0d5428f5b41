package warmup

import (
	"fmt"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// Thresholds are the rates at which Assess says slow down or pause. A rate
// at a threshold reaches it.
type Thresholds struct {
	// ComplaintSlowDown and ComplaintPause apply to complaints (user-
	// reported spam) per message delivered.
	ComplaintSlowDown Rate `json:"complaint_slow_down"`
	ComplaintPause    Rate `json:"complaint_pause"`
	// BounceSlowDown and BouncePause apply to hard bounces per message
	// sent.
	BounceSlowDown Rate `json:"bounce_slow_down"`
	BouncePause    Rate `json:"bounce_pause"`
	// OverPlan is how far above the day's planned volume the day may go
	// before Assess says slow down.
	OverPlan Rate `json:"over_plan"`
}

// DefaultThresholds are the published figures (see the package
// documentation and docs/warmup.md).
var DefaultThresholds = Thresholds{
	ComplaintSlowDown: 1_000,  // 0.1%: Google's "below 0.10%"
	ComplaintPause:    3_000,  // 0.3%: Google's "never reach 0.30%", Yahoo's "below 0.3%"
	BounceSlowDown:    20_000, // 2%
	BouncePause:       50_000, // 5%
	OverPlan:          100_000,
}

// Validate checks that each threshold is above 0 and a slow-down threshold
// is below its pause threshold.
func (t Thresholds) Validate() error {
	for _, c := range []struct {
		field string
		r     Rate
	}{{"complaint-slow-down", t.ComplaintSlowDown}, {"complaint-pause", t.ComplaintPause}, {"bounce-slow-down", t.BounceSlowDown}, {"bounce-pause", t.BouncePause}} {
		if c.r <= 0 || c.r > PerMillion {
			return inputErr(c.field, "give a percentage such as 0.3%", "%s: want a rate above 0%% and at most 100%%", c.r)
		}
	}
	if t.OverPlan < 0 {
		return inputErr("over-plan", "give a percentage such as 10%", "%s is below 0%%", t.OverPlan)
	}
	if t.ComplaintSlowDown >= t.ComplaintPause {
		return inputErr("complaint-slow-down", "the slow-down rate must be below the pause rate", "%s is not below the pause rate, %s", t.ComplaintSlowDown, t.ComplaintPause)
	}
	if t.BounceSlowDown >= t.BouncePause {
		return inputErr("bounce-slow-down", "the slow-down rate must be below the pause rate", "%s is not below the pause rate, %s", t.BounceSlowDown, t.BouncePause)
	}
	return nil
}

// Stats are a day's counts.
type Stats struct {
	// Sent counts the messages sent (accepted or not); Bounced the hard
	// bounces among them (permanent failures); Complaints the messages
	// recipients reported as spam.
	Sent       int64 `json:"sent"`
	Bounced    int64 `json:"bounced"`
	Complaints int64 `json:"complaints"`
	// NoComplaints is true when the complaints are not known: the
	// complaint rate is then not judged.
	NoComplaints bool `json:"no_complaint_data,omitempty"`
}

// Verdict is what to do next.
type Verdict string

// The verdicts, from the statuses of the one verdict model.
const (
	Continue Verdict = "continue"  // pass
	SlowDown Verdict = "slow-down" // warn
	Pause    Verdict = "pause"     // fail
)

// Step is a day and its volume.
type Step struct {
	Day    int   `json:"day,omitempty"`
	Volume int64 `json:"volume"`
}

// Assessment is the verdict on a day of sending.
type Assessment struct {
	Verdict Verdict        `json:"verdict"`
	Status  finding.Status `json:"status"`
	// Reason is the verdict's reason in one line: the most severe
	// finding's message, or that every rate is within its threshold.
	Reason string `json:"reason"`
	Stats
	Delivered     int64 `json:"delivered"`
	BounceRate    Rate  `json:"bounce_rate"`
	ComplaintRate Rate  `json:"complaint_rate"`
	// Day is the plan day assessed and Planned its volume (0 without a
	// plan).
	Day     int   `json:"day,omitempty"`
	Planned int64 `json:"planned,omitempty"`
	// Next is what to send next (continue: the plan's next day; slow down:
	// the same volume again); Resume, after a pause, where to start again
	// once the cause is fixed.
	Next       *Step             `json:"next,omitempty"`
	Resume     *Step             `json:"resume,omitempty"`
	Thresholds Thresholds        `json:"thresholds"`
	Findings   []finding.Finding `json:"findings"`
}

// Assess judges a day of sending against the thresholds, and against the
// plan's volume for day when plan is not nil.
func Assess(s Stats, day int, plan *Schedule, t Thresholds) (*Assessment, error) {
	switch {
	case s.Sent < 1 || s.Sent > MaxVolume:
		return nil, inputErr("sent", "give the number of messages sent that day", "%d: want 1 to %d messages", s.Sent, int64(MaxVolume))
	case s.Bounced < 0 || s.Bounced > s.Sent:
		return nil, inputErr("bounced", "count the hard bounces among the messages sent", "%d hard bounces out of %d sent", s.Bounced, s.Sent)
	case s.Complaints < 0 || s.Complaints > s.Sent-s.Bounced:
		return nil, inputErr("complaints", "count the complaints about the day's delivered messages", "%d complaints but %d messages delivered (%d sent, %d bounced)", s.Complaints, s.Sent-s.Bounced, s.Sent, s.Bounced)
	case plan != nil && (day < 1 || day > MaxDays):
		return nil, inputErr("day", "give the plan day that was sent, from 1", "%d is not a day of the plan", day)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	a := &Assessment{Stats: s, Delivered: s.Sent - s.Bounced, Thresholds: t, Findings: []finding.Finding{}}
	a.BounceRate = RateOf(s.Bounced, s.Sent)
	if !s.NoComplaints {
		a.ComplaintRate = RateOf(s.Complaints, a.Delivered)
	}
	add := func(f finding.Finding) { a.Findings = append(a.Findings, f) }

	switch {
	case s.NoComplaints:
		add(newf(FindNoComplaintData, "no complaint count was given: the complaint rate was not judged"))
	case t.ComplaintPause.Reaches(s.Complaints, a.Delivered):
		add(newf(FindComplaintPause, "complaint rate %s (%d of %d delivered) reaches %s: pause", pct(s.Complaints, a.Delivered), s.Complaints, a.Delivered, t.ComplaintPause))
	case t.ComplaintSlowDown.Reaches(s.Complaints, a.Delivered):
		add(newf(FindComplaintHigh, "complaint rate %s (%d of %d delivered) reaches %s: slow down", pct(s.Complaints, a.Delivered), s.Complaints, a.Delivered, t.ComplaintSlowDown))
	}
	if !s.NoComplaints && t.ComplaintSlowDown.Reaches(1, a.Delivered) {
		add(newf(FindSmallSample, "%d messages delivered: one complaint is %s, at or above the %s slow-down rate", a.Delivered, pct(1, a.Delivered), t.ComplaintSlowDown))
	}
	switch {
	case t.BouncePause.Reaches(s.Bounced, s.Sent):
		add(newf(FindBouncePause, "hard-bounce rate %s (%d of %d sent) reaches %s: pause", pct(s.Bounced, s.Sent), s.Bounced, s.Sent, t.BouncePause))
	case t.BounceSlowDown.Reaches(s.Bounced, s.Sent):
		add(newf(FindBounceHigh, "hard-bounce rate %s (%d of %d sent) reaches %s: slow down", pct(s.Bounced, s.Sent), s.Bounced, s.Sent, t.BounceSlowDown))
	}
	if plan != nil {
		a.Day, a.Planned = day, plan.Volume(day)
		// Over the plan: more than Planned × (1 + OverPlan), exactly.
		if limit := a.Planned; s.Sent*int64(PerMillion) > limit*int64(PerMillion+t.OverPlan) {
			add(newf(FindOverPlan, "%d sent on day %d, %s over the %d planned (tolerance %s): slow down", s.Sent, day, pct(s.Sent-a.Planned, a.Planned), a.Planned, t.OverPlan))
		}
		if day >= len(plan.Days) {
			add(newf(FindPlanComplete, "day %d is the plan's last (%d days): the target, %d a day, is reached", day, len(plan.Days), plan.Target))
		}
	}

	finding.Sort(a.Findings)
	a.Status = finding.Judge(a.Findings, true)
	switch a.Status {
	case finding.StatusFail:
		a.Verdict = Pause
	case finding.StatusWarn:
		a.Verdict = SlowDown
	default:
		a.Verdict = Continue
	}
	a.Reason = "every rate is within its threshold"
	if len(a.Findings) > 0 && a.Findings[0].Severity >= finding.Warning {
		a.Reason = a.Findings[0].Message
	} else if plan != nil && a.Verdict == Continue && day < len(plan.Days) {
		a.Reason += fmt.Sprintf("; day %d of %d", day, len(plan.Days))
	}
	a.next(plan)
	return a, nil
}

// next fills Next and Resume from the verdict.
func (a *Assessment) next(plan *Schedule) {
	switch a.Verdict {
	case Continue:
		if plan != nil {
			a.Next = &Step{Day: a.Day + 1, Volume: plan.Volume(a.Day + 1)}
		}
	case SlowDown:
		if plan != nil {
			a.Next = &Step{Day: a.Day, Volume: a.Planned}
		} else {
			a.Next = &Step{Volume: a.Sent}
		}
	case Pause:
		// Half the day's volume, or of the plan's when more was sent.
		half := max(a.Sent/2, 1)
		if plan != nil {
			half = max(min(a.Sent, a.Planned)/2, 1)
		}
		if plan == nil {
			a.Resume = &Step{Volume: half}
			return
		}
		a.Resume = &Step{Day: 1, Volume: plan.Volume(1)}
		for d := min(a.Day, len(plan.Days)); d >= 1; d-- {
			if plan.Volume(d) <= half {
				a.Resume = &Step{Day: d, Volume: plan.Volume(d)}
				break
			}
		}
	}
}

// newf returns a finding of spec with a formatted message and the
// catalogue's fix.
func newf(spec *finding.Spec, format string, args ...any) finding.Finding {
	return spec.New(fmt.Sprintf(format, args...), spec.Fix)
}

// pct formats n in total as a percentage with two decimals ("0.35%").
func pct(n, total int64) string {
	if total <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%.2f%%", float64(n)*100/float64(total))
}
