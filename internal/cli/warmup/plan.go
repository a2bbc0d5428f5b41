package warmup

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/report"
	pwarmup "github.com/penguinmails/emailauth/pkg/warmup"
)

// PlanOptions are the inputs of "warmup plan".
type PlanOptions struct {
	Target int64
	Start  int64
	// Days is the plan's length; 0 lets the growth decide.
	Days      int
	Growth    float64
	MaxGrowth float64
}

// NewCmdPlan returns "warmup plan". runF, when not nil, replaces the run
// function (tests stop after flag parsing).
func NewCmdPlan(f *cmdutil.Factory, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{}
	var target, start string
	cmd := &cobra.Command{
		Use:   "plan --target N/day [--start 50] [--days D]",
		Short: "Print a daily-volume schedule ramping a new domain or IP to its target",
		Long: `Print a warm-up schedule for a new sending domain or IP address: the most
messages to send each day, from --start (50 unless the config's
warmup.start says otherwise) to --target, growing by the same factor every
day, with the assumptions the plan rests on written out.

Without --days, the volume grows ×1.5 a day (--growth, warmup.growth) and
the plan takes as many days as that needs. With --days, the growth is what
reaches the target in that many days; a plan that would more than double
the volume in a day (--max-growth, warmup.max-growth) is refused, with the
shortest length that does not.

Volumes are whole numbers, with k or M allowed (250k, 1.5M), and may end in
/day. Each day, judge the day sent with 'emailauth warmup assess --plan'
before moving on.

-o csv and -o json write the days for a sending system or a spreadsheet
(the plan file 'warmup assess --plan' reads). -q prints the table only.
Exit 0, or 2 for a target, start or length that cannot make a plan.`,
		Example: `  emailauth warmup plan --target 100000/day
  emailauth warmup plan --target 250k --start 200 --days 30
  emailauth warmup plan --target 1M --days 45 -o json > plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				return cmdutil.FlagErrorf("--target is required: the daily volume to reach, such as --target 100000/day")
			}
			n, err := pwarmup.ParseVolume(target)
			if err != nil {
				return cmdutil.BadInputHint("--target", err, "give the daily volume to reach, such as --target 100000/day")
			}
			opts.Target = n
			conf := config(f)
			opts.Start = conf.Start
			if cmd.Flags().Changed("start") {
				if opts.Start, err = pwarmup.ParseVolume(start); err != nil {
					return cmdutil.BadInputHint("--start", err, "give the first day's volume, such as --start 50")
				}
			}
			if !cmd.Flags().Changed("growth") {
				opts.Growth = conf.Growth
			}
			if !cmd.Flags().Changed("max-growth") {
				opts.MaxGrowth = conf.MaxGrowth
			}
			if runF != nil {
				return runF(opts)
			}
			return planRun(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target, "target", "", "the daily `volume` to reach (100000, 100000/day, 250k, 1.5M); required")
	fl.StringVar(&start, "start", strconv.Itoa(pwarmup.DefaultStart), "the first day's `volume` (warmup.start in the config)")
	fl.IntVar(&opts.Days, "days", 0, "the plan's length in `days`; without it, as many as --growth needs")
	fl.Float64Var(&opts.Growth, "growth", pwarmup.DefaultGrowth, "the daily growth `factor` when --days is not given (warmup.growth)")
	fl.Float64Var(&opts.MaxGrowth, "max-growth", pwarmup.DefaultMaxGrowth, "the steepest daily growth `factor` allowed (warmup.max-growth)")
	cmdutil.AddOutputFlag(cmd, "table", "csv", "json")
	return cmd
}

func planRun(f *cmdutil.Factory, opts *PlanOptions) error {
	s, err := pwarmup.Plan(opts.Target, opts.Start, opts.Days, pwarmup.Options{Growth: opts.Growth, MaxGrowth: opts.MaxGrowth})
	if err != nil {
		return inputError(err)
	}
	switch f.Global.Output {
	case "json":
		return cmdutil.WriteJSON(f.IO.Out, s)
	case "csv":
		return writePlanCSV(f.IO.Out, s)
	}
	writePlan(f.IO.Term(), s, f.IO.Quiet)
	return nil
}

// writePlan writes the plan for people: a heading, the days (report.Grid)
// and the assumptions.
func writePlan(t *report.Term, s *pwarmup.Schedule, quiet bool) {
	if !quiet {
		t.Printf("Warm-up plan: %s to %s messages a day in %d %s (×%.2f a day)\n\n", count(s.Start), count(s.Target), len(s.Days), plural(len(s.Days), "day", "days"), s.Growth)
	}
	rows := make([][]string, len(s.Days))
	for i, d := range s.Days {
		growth := ""
		if d.Growth > 0 {
			growth = fmt.Sprintf("×%.2f", d.Growth)
		}
		rows[i] = []string{strconv.Itoa(d.Day), count(d.Volume), count(d.Cumulative), growth}
	}
	_ = report.Grid(t, []string{"DAY", "VOLUME", "CUMULATIVE", "GROWTH"}, rows) // write errors surface through the Term
	if quiet {
		return
	}
	t.Printf("\nAssumptions:\n")
	for _, a := range s.Assumptions {
		wrap(t, a, "  - ", "    ", 78)
	}
}

// writePlanCSV writes one row per day under a header: the plan file
// 'warmup assess --plan' reads.
func writePlanCSV(out io.Writer, s *pwarmup.Schedule) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"day", "volume", "cumulative", "growth"})
	for _, d := range s.Days {
		_ = w.Write([]string{strconv.Itoa(d.Day), strconv.FormatInt(d.Volume, 10), strconv.FormatInt(d.Cumulative, 10), strconv.FormatFloat(d.Growth, 'f', -1, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// count writes n with thousands separators: 100,000.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
