package warmup

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	pwarmup "github.com/penguinmails/emailauth/pkg/warmup"
)

// AssessOptions are the inputs of "warmup assess".
type AssessOptions struct {
	Stats pwarmup.Stats
	// Day and PlanFile: the plan day sent, and the plan (both or neither).
	Day        int
	PlanFile   string
	Thresholds pwarmup.Thresholds
	// FailOn is the least severe verdict that exits 1: finding.Warning
	// (slow down, the default) or finding.Error (pause only).
	FailOn finding.Severity
}

// thresholdFlags are the flags that override the thresholds.
var thresholdFlags = []struct {
	name, usage string
	field       func(*pwarmup.Thresholds) *pwarmup.Rate
}{
	{"complaint-slow-down", "the `rate` of complaints per delivered message that says slow down (default 0.1%; warmup.complaint-slow-down)", func(t *pwarmup.Thresholds) *pwarmup.Rate { return &t.ComplaintSlowDown }},
	{"complaint-pause", "the `rate` of complaints per delivered message that says pause (default 0.3%; warmup.complaint-pause)", func(t *pwarmup.Thresholds) *pwarmup.Rate { return &t.ComplaintPause }},
	{"bounce-slow-down", "the `rate` of hard bounces per message sent that says slow down (default 2%; warmup.bounce-slow-down)", func(t *pwarmup.Thresholds) *pwarmup.Rate { return &t.BounceSlowDown }},
	{"bounce-pause", "the `rate` of hard bounces per message sent that says pause (default 5%; warmup.bounce-pause)", func(t *pwarmup.Thresholds) *pwarmup.Rate { return &t.BouncePause }},
	{"over-plan", "the `rate` above the day's planned volume that is tolerated (default 10%; warmup.over-plan)", func(t *pwarmup.Thresholds) *pwarmup.Rate { return &t.OverPlan }},
}

// NewCmdAssess returns "warmup assess". runF, when not nil, replaces the
// run function (tests stop after flag parsing).
func NewCmdAssess(f *cmdutil.Factory, runF func(*AssessOptions) error) *cobra.Command {
	opts := &AssessOptions{}
	rates := make([]string, len(thresholdFlags))
	var failOn string
	cmd := &cobra.Command{
		Use:   "assess --sent N --bounced B [--complaints C] [--day K --plan FILE]",
		Short: "Say whether a warm-up continues, slows down or pauses after a day's sending",
		Long: `Judge a day of a warm-up from its counts: the messages sent, the hard bounces
among them (permanent failures: no such user, no such domain; not deferrals
or other 4xx, which are normal while a new sender is throttled), and the
complaints (messages reported as spam, from Google Postmaster Tools, Yahoo's
feedback loop, Microsoft's JMRP and other feedback loops).

  continue    every rate is under its threshold: send the plan's next day
  slow down   a rate reached its slow-down threshold, or more than the plan
              was sent: send the same volume again
  pause       a rate reached its pause threshold: stop, fix the cause, and
              resume at about half the volume

The complaint rate is complaints per delivered message (sent minus hard
bounces): slow down at 0.1%, pause at 0.3% (Google: keep the spam rate below
0.10% and never reach 0.30%; Yahoo: below 0.3%). The hard-bounce rate is per
message sent: slow down at 2%, pause at 5%. A rate at a threshold reaches
it. Each threshold can be set with its flag or in the config's warmup:
section, as a percentage. docs/warmup.md gives the sources.

With --day K and --plan FILE (the JSON or CSV of 'warmup plan'), the day is
also checked against the plan's volume (10% over is tolerated, --over-plan),
and the next day's volume is given.

-q prints the verdict line and the reasons. Exit 0 to continue, 1 to slow
down or pause (--fail-on error: only to pause), 2 for counts that cannot be
(more bounces than messages) or a plan that cannot be read.`,
		Example: `  emailauth warmup assess --sent 5000 --bounced 40 --complaints 3
  emailauth warmup plan --target 100k -o json > plan.json
  emailauth warmup assess --sent 1200 --bounced 9 --complaints 1 --day 9 --plan plan.json
  emailauth warmup assess --sent 1200 --bounced 9 --complaint-pause 0.2% -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if !fl.Changed("sent") || !fl.Changed("bounced") {
				return cmdutil.FlagErrorf("--sent and --bounced are required: the day's messages sent and hard bounces")
			}
			opts.Stats.NoComplaints = !fl.Changed("complaints")
			if fl.Changed("day") != fl.Changed("plan") {
				return cmdutil.FlagErrorf("--day and --plan go together: the plan day sent, and the plan ('warmup plan -o json')")
			}
			opts.Thresholds = config(f).Thresholds
			for i, tf := range thresholdFlags {
				if !fl.Changed(tf.name) {
					continue
				}
				r, err := pwarmup.ParseRate(rates[i])
				if err != nil {
					return cmdutil.BadInputHint("--"+tf.name, err, "give a percentage such as 0.3%")
				}
				*tf.field(&opts.Thresholds) = r
			}
			switch failOn {
			case "warning", "warn", "slow-down":
				opts.FailOn = finding.Warning
			case "error", "pause":
				opts.FailOn = finding.Error
			default:
				return cmdutil.FlagErrorf("invalid --fail-on %q: want warning (slow down or pause exits 1) or error (only pause does)", failOn)
			}
			if runF != nil {
				return runF(opts)
			}
			return assessRun(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&opts.Stats.Sent, "sent", 0, "the `number` of messages sent that day; required")
	fl.Int64Var(&opts.Stats.Bounced, "bounced", 0, "the `number` of hard bounces (permanent failures) among them; required")
	fl.Int64Var(&opts.Stats.Complaints, "complaints", 0, "the `number` of messages reported as spam; without it, the complaint rate is not judged")
	fl.IntVar(&opts.Day, "day", 0, "the plan `day` sent (from 1), with --plan")
	fl.StringVar(&opts.PlanFile, "plan", "", "the plan `FILE`: the JSON or CSV of 'warmup plan' (- for stdin)")
	for i, tf := range thresholdFlags {
		fl.StringVar(&rates[i], tf.name, "", tf.usage)
	}
	fl.StringVar(&failOn, "fail-on", "warning", "the `verdict` that exits 1: warning (slow down or pause) or error (pause only)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.CompleteValues("warning", "error"))
	_ = cmd.RegisterFlagCompletionFunc("plan", cmdutil.CompleteFiles("json", "csv"))
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func assessRun(f *cmdutil.Factory, opts *AssessOptions) error {
	var plan *pwarmup.Schedule
	if opts.PlanFile != "" {
		in := f.IO.In
		if opts.PlanFile != "-" {
			fh, err := os.Open(opts.PlanFile)
			if err != nil {
				return cmdutil.BadInputHint("--plan "+opts.PlanFile, unwrapPath(err), "give the plan written by 'emailauth warmup plan -o json'")
			}
			defer fh.Close()
			in = fh
		}
		p, err := pwarmup.ReadSchedule(in)
		if err != nil {
			if e := inputError(err); e != err {
				return cmdutil.BadInputHint("--plan "+opts.PlanFile, err, "give the plan written by 'emailauth warmup plan -o json' (or -o csv)")
			}
			return cmdutil.BadInput("--plan "+opts.PlanFile, err)
		}
		plan = p
	}
	a, err := pwarmup.Assess(opts.Stats, opts.Day, plan, opts.Thresholds)
	if err != nil {
		return inputError(err)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, a); err != nil {
			return err
		}
	} else {
		writeAssessment(f.IO.Term(), a, plan, f.IO.Quiet)
	}
	var t finding.Tally
	t.Add(a.Status)
	return cmdutil.ExitFor(t, opts.FailOn)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// verdictWords are the verdicts for people.
var verdictWords = map[pwarmup.Verdict]string{pwarmup.Continue: "continue", pwarmup.SlowDown: "slow down", pwarmup.Pause: "pause"}

// writeAssessment writes the verdict and its reason, the counts and rates,
// what to send next, and (unless quiet) the findings with their fixes and
// the thresholds applied.
func writeAssessment(t *report.Term, a *pwarmup.Assessment, plan *pwarmup.Schedule, quiet bool) {
	t.Printf("%s: %s\n", t.Style(report.StatusStyle(string(a.Status)), verdictWords[a.Verdict]), a.Reason)
	if quiet {
		report.WriteFindings(t, a.Findings, "", true)
		return
	}
	complaints := "not given"
	if !a.NoComplaints {
		complaints = fmt.Sprintf("%s (%s of delivered)", count(a.Complaints), pct(a.Complaints, a.Delivered))
	}
	t.Printf("sent %s, hard bounces %s (%s), delivered %s, complaints %s\n",
		count(a.Sent), count(a.Bounced), pct(a.Bounced, a.Sent), count(a.Delivered), complaints)
	if plan != nil {
		t.Printf("day %d of %d: %s planned\n", a.Day, len(plan.Days), count(a.Planned))
	}
	switch {
	case a.Next != nil && a.Verdict == pwarmup.Continue && a.Next.Day > 0:
		t.Printf("next: day %d, up to %s messages\n", a.Next.Day, count(a.Next.Volume))
	case a.Next != nil && a.Verdict == pwarmup.SlowDown:
		t.Printf("next: the same volume again, up to %s messages\n", count(a.Next.Volume))
	case a.Resume != nil && a.Resume.Day > 0:
		t.Printf("next: stop; once the cause is fixed, resume at day %d (%s messages)\n", a.Resume.Day, count(a.Resume.Volume))
	case a.Resume != nil:
		t.Printf("next: stop; once the cause is fixed, resume at about %s messages\n", count(a.Resume.Volume))
	}
	report.WriteFindings(t, a.Findings, "", false)
	th := a.Thresholds
	t.Printf("thresholds: complaints %s slow down, %s pause; hard bounces %s slow down, %s pause; %s over the plan\n",
		th.ComplaintSlowDown, th.ComplaintPause, th.BounceSlowDown, th.BouncePause, th.OverPlan)
}

func pct(n, total int64) string {
	if total <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%.2f%%", float64(n)*100/float64(total))
}
