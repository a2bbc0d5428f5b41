package warmup

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	pwarmup "github.com/penguinmails/emailauth/pkg/warmup"
)

type env struct {
	f           *cmdutil.Factory
	in          *bytes.Buffer
	out, errOut *bytes.Buffer
}

func newEnv(output string) *env {
	io, in, out, errOut := cmdutil.Test()
	return &env{f: &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: output, Warmup: cmdutil.DefaultWarmup()}}, in: in, out: out, errOut: errOut}
}

func run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return cmd.Execute()
}

func TestPlanFlags(t *testing.T) {
	tests := []struct {
		args []string
		conf *cmdutil.WarmupOptions
		code int
		want PlanOptions
	}{
		{[]string{"--target", "100000/day"}, nil, 0, PlanOptions{Target: 100000, Start: 50, Growth: 1.5, MaxGrowth: 2}},
		{[]string{"--target", "250k", "--start", "1k", "--days", "30"}, nil, 0, PlanOptions{Target: 250000, Start: 1000, Days: 30, Growth: 1.5, MaxGrowth: 2}},
		{[]string{"--target", "1.5M", "--growth", "1.2", "--max-growth", "1.5"}, nil, 0, PlanOptions{Target: 1500000, Start: 50, Growth: 1.2, MaxGrowth: 1.5}},
		// The config's defaults, under the flags.
		{[]string{"--target", "10000"}, &cmdutil.WarmupOptions{Start: 200, Growth: 1.3, MaxGrowth: 1.8}, 0, PlanOptions{Target: 10000, Start: 200, Growth: 1.3, MaxGrowth: 1.8}},
		{[]string{"--target", "10000", "--start", "100", "--growth", "1.4"}, &cmdutil.WarmupOptions{Start: 200, Growth: 1.3, MaxGrowth: 1.8}, 0, PlanOptions{Target: 10000, Start: 100, Growth: 1.4, MaxGrowth: 1.8}},
		{nil, nil, 2, PlanOptions{}},
		{[]string{"--target", "lots"}, nil, 2, PlanOptions{}},
		{[]string{"--target", "100,000"}, nil, 2, PlanOptions{}},
		{[]string{"--target", "1000", "--start", "0"}, nil, 2, PlanOptions{}},
		{[]string{"--target", "1000", "extra"}, nil, 2, PlanOptions{}},
	}
	for _, tc := range tests {
		e := newEnv("table")
		if tc.conf != nil {
			e.f.Global.Warmup = *tc.conf
		}
		var got *PlanOptions
		err := run(NewCmdPlan(e.f, func(o *PlanOptions) error { got = o; return nil }), tc.args...)
		code := cmdutil.ExitCode(err)
		if tc.code == 2 && err != nil {
			code = 2
		}
		if code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.code == 0 && *got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.args, *got, tc.want)
		}
	}
}

func TestPlanRun(t *testing.T) {
	opts := &PlanOptions{Target: 100000, Start: 50, Growth: 1.5, MaxGrowth: 2}
	e := newEnv("table")
	if err := planRun(e.f, opts); err != nil {
		t.Fatal(err)
	}
	out := e.out.String()
	for _, s := range []string{
		"Warm-up plan: 50 to 100,000 messages a day in 20 days (×1.49 a day)\n",
		"DAY  VOLUME   CUMULATIVE  GROWTH",
		" 2    75       125         ×1.50\n",
		" 20   100,000  303,395     ×1.49\n",
		"Assumptions:\n  - The volume grows by the same factor every day",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if report.Width(line) > 78 {
			t.Errorf("a line over 78 columns: %q", line)
		}
	}
	if err := report.CheckSafe(out); err != nil {
		t.Error(err)
	}
	// -q: the table only.
	e = newEnv("table")
	e.f.IO.Quiet = true
	_ = planRun(e.f, opts)
	if strings.Contains(e.out.String(), "Assumptions") || strings.Contains(e.out.String(), "Warm-up plan") || !strings.Contains(e.out.String(), "100,000") {
		t.Errorf("-q:\n%s", e.out)
	}
	// CSV: a header and a row per day, readable back as a plan.
	e = newEnv("csv")
	if err := planRun(e.f, opts); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(e.out.String())).ReadAll()
	if err != nil || len(rows) != 21 || strings.Join(rows[0], ",") != "day,volume,cumulative,growth" || strings.Join(rows[20], ",") != "20,100000,303395,1.493" {
		t.Errorf("csv: %v\n%s", err, e.out)
	}
	back, err := pwarmup.ReadSchedule(strings.NewReader(e.out.String()))
	if err != nil || len(back.Days) != 20 || back.Target != 100000 {
		t.Errorf("csv read back: %v", err)
	}
	// JSON: the schedule.
	e = newEnv("json")
	if err := planRun(e.f, opts); err != nil {
		t.Fatal(err)
	}
	var s pwarmup.Schedule
	if err := json.Unmarshal(e.out.Bytes(), &s); err != nil || len(s.Days) != 20 || s.Days[19].Volume != 100000 || len(s.Assumptions) < 5 {
		t.Errorf("json: %v\n%s", err, e.out)
	}
	// A plan that cannot be made: bad input naming the flag, with a hint.
	err = planRun(newEnv("table").f, &PlanOptions{Target: 100000, Start: 50, Days: 5, Growth: 1.5, MaxGrowth: 2})
	if cmdutil.ExitCode(err) != 2 || !strings.HasPrefix(err.Error(), "--days: reaching 100000 a day from 50 in 5 days") || cmdutil.HintFor(err) != "give --days 12 or more, or a higher --start" {
		t.Errorf("steep plan: %v (hint %q)", err, cmdutil.HintFor(err))
	}
}

func TestAssessFlags(t *testing.T) {
	d := pwarmup.DefaultThresholds
	tests := []struct {
		args []string
		code int
		want func(*AssessOptions) bool
	}{
		{[]string{"--sent", "5000", "--bounced", "40", "--complaints", "3"}, 0, func(o *AssessOptions) bool {
			return o.Stats == pwarmup.Stats{Sent: 5000, Bounced: 40, Complaints: 3} && o.Thresholds == d && o.FailOn == finding.Warning
		}},
		{[]string{"--sent", "5000", "--bounced", "0"}, 0, func(o *AssessOptions) bool { return o.Stats.NoComplaints }},
		{[]string{"--sent", "5000", "--bounced", "0", "--complaints", "0"}, 0, func(o *AssessOptions) bool { return !o.Stats.NoComplaints }},
		{[]string{"--sent", "5", "--bounced", "0", "--day", "3", "--plan", "p.json"}, 0, func(o *AssessOptions) bool { return o.Day == 3 && o.PlanFile == "p.json" }},
		{[]string{"--sent", "5", "--bounced", "0", "--complaint-pause", "0.2%", "--bounce-slow-down", "1.5%", "--over-plan", "0%"}, 0, func(o *AssessOptions) bool {
			return o.Thresholds.ComplaintPause == 2000 && o.Thresholds.BounceSlowDown == 15000 && o.Thresholds.OverPlan == 0 && o.Thresholds.ComplaintSlowDown == d.ComplaintSlowDown
		}},
		{[]string{"--sent", "5", "--bounced", "0", "--fail-on", "error"}, 0, func(o *AssessOptions) bool { return o.FailOn == finding.Error }},
		{[]string{"--sent", "5"}, 2, nil},
		{[]string{"--bounced", "5"}, 2, nil},
		{[]string{"--sent", "5", "--bounced", "0", "--day", "3"}, 2, nil},
		{[]string{"--sent", "5", "--bounced", "0", "--plan", "p.json"}, 2, nil},
		{[]string{"--sent", "5", "--bounced", "0", "--complaint-pause", "0.3"}, 2, nil},
		{[]string{"--sent", "5", "--bounced", "0", "--fail-on", "info"}, 2, nil},
		{[]string{"--sent", "many", "--bounced", "0"}, 2, nil},
	}
	for _, tc := range tests {
		e := newEnv("table")
		var got *AssessOptions
		err := run(NewCmdAssess(e.f, func(o *AssessOptions) error { got = o; return nil }), tc.args...)
		code := cmdutil.ExitCode(err)
		if tc.code == 2 && err != nil {
			code = 2
		}
		if code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.want != nil && !tc.want(got) {
			t.Errorf("%v: %+v", tc.args, *got)
		}
	}
	// The config's thresholds, under the flags.
	e := newEnv("table")
	e.f.Global.Warmup.Thresholds.BouncePause = 30000
	var got *AssessOptions
	_ = run(NewCmdAssess(e.f, func(o *AssessOptions) error { got = o; return nil }), "--sent", "5", "--bounced", "0", "--complaint-pause", "0.5%")
	if got.Thresholds.BouncePause != 30000 || got.Thresholds.ComplaintPause != 5000 {
		t.Errorf("config and flags: %+v", got.Thresholds)
	}
}

func TestAssessRun(t *testing.T) {
	dir := t.TempDir()
	plan, _ := pwarmup.Plan(100000, 1000, 0, pwarmup.Options{})
	js, _ := json.Marshal(plan)
	planFile := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(planFile, js, 0o644); err != nil {
		t.Fatal(err)
	}
	d := pwarmup.DefaultThresholds
	tests := []struct {
		name   string
		opts   AssessOptions
		quiet  bool
		code   int
		stdout []string
	}{
		{"continue", AssessOptions{Stats: pwarmup.Stats{Sent: 2200, Bounced: 10, Complaints: 1}, Day: 3, PlanFile: planFile}, false, 0, []string{
			"continue: every rate is within its threshold; day 3 of 13\n",
			"sent 2,200, hard bounces 10 (0.45%), delivered 2,190, complaints 1 (0.05% of delivered)\n",
			"day 3 of 13: 2,200 planned\n",
			"next: day 4, up to 3,200 messages\n",
			"thresholds: complaints 0.1% slow down, 0.3% pause; hard bounces 2% slow down, 5% pause; 10% over the plan\n"}},
		{"slow down: exit 1", AssessOptions{Stats: pwarmup.Stats{Sent: 10000, Bounced: 200, Complaints: 0}}, false, 1, []string{
			"slow down: hard-bounce rate 2.00% (200 of 10000 sent) reaches 2%: slow down\n",
			"next: the same volume again, up to 10,000 messages\n",
			"  warning warmup.bounce-rate-high: hard-bounce rate 2.00%",
			"      fix: Suppress the addresses"}},
		{"slow down with --fail-on error: exit 0", AssessOptions{Stats: pwarmup.Stats{Sent: 10000, Bounced: 200}, FailOn: finding.Error}, false, 0, []string{"slow down:"}},
		{"pause", AssessOptions{Stats: pwarmup.Stats{Sent: 10000, Complaints: 30}, Day: 5, PlanFile: planFile}, false, 1, []string{
			"pause: complaint rate 0.30% (30 of 10000 delivered) reaches 0.3%: pause\n",
			"next: stop; once the cause is fixed, resume at day 3 (2,200 messages)\n"}},
		{"pause with --fail-on error: exit 1", AssessOptions{Stats: pwarmup.Stats{Sent: 10000, Complaints: 30}, FailOn: finding.Error}, true, 1, []string{
			"pause: complaint rate 0.30%", "error warmup.complaint-rate-pause"}},
		{"quiet", AssessOptions{Stats: pwarmup.Stats{Sent: 10000, Bounced: 200, NoComplaints: true}}, true, 1, []string{
			"slow down: hard-bounce rate 2.00% (200 of 10000 sent) reaches 2%: slow down\nwarning warmup.bounce-rate-high: hard-bounce rate 2.00% (200 of 10000 sent) reaches 2%: slow down\n"}},
		{"no complaints given", AssessOptions{Stats: pwarmup.Stats{Sent: 10000, NoComplaints: true}}, false, 0, []string{"complaints not given", "info warmup.no-complaint-data"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv("table")
			e.f.IO.Quiet = tc.quiet
			tc.opts.Thresholds = d
			if tc.opts.FailOn == 0 {
				tc.opts.FailOn = finding.Warning
			}
			err := assessRun(e.f, &tc.opts)
			if code := cmdutil.ExitCode(err); code != tc.code {
				t.Errorf("exit %d (%v), want %d", code, err, tc.code)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(e.out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, e.out)
				}
			}
			if tc.quiet && (strings.Contains(e.out.String(), "thresholds:") || strings.Contains(e.out.String(), "fix:")) {
				t.Errorf("-q printed more than the verdict:\n%s", e.out)
			}
		})
	}

	// JSON.
	e := newEnv("json")
	err := assessRun(e.f, &AssessOptions{Stats: pwarmup.Stats{Sent: 2200, Bounced: 10, Complaints: 1}, Day: 3, PlanFile: planFile, Thresholds: d, FailOn: finding.Warning})
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Verdict       string  `json:"verdict"`
		Status        string  `json:"status"`
		ComplaintRate float64 `json:"complaint_rate"`
		BounceRate    float64 `json:"bounce_rate"`
		Next          struct{ Day, Volume int }
		Thresholds    struct {
			ComplaintPause float64 `json:"complaint_pause"`
		}
	}
	if err := json.Unmarshal(e.out.Bytes(), &a); err != nil || a.Verdict != "continue" || a.Status != "pass" || a.Next.Day != 4 || a.BounceRate != 0.004545 || a.Thresholds.ComplaintPause != 0.003 {
		t.Errorf("json: %v %+v\n%s", err, a, e.out)
	}

	// Bad input: counts that cannot be, a plan that cannot be read.
	notPlan := filepath.Join(dir, "notplan.json")
	_ = os.WriteFile(notPlan, []byte(`{"days": "soon"}`), 0o644)
	for _, o := range []AssessOptions{
		{Stats: pwarmup.Stats{Sent: 10, Bounced: 11}},
		{Stats: pwarmup.Stats{Sent: 10, Bounced: 2, Complaints: 9}},
		{Stats: pwarmup.Stats{Sent: 10}, Day: 1, PlanFile: filepath.Join(dir, "missing.json")},
		{Stats: pwarmup.Stats{Sent: 10}, Day: 1, PlanFile: notPlan},
		{Stats: pwarmup.Stats{Sent: 10}, Day: 0, PlanFile: planFile},
		{Stats: pwarmup.Stats{Sent: 10}, Thresholds: pwarmup.Thresholds{ComplaintSlowDown: 5000, ComplaintPause: 3000, BounceSlowDown: 1, BouncePause: 2}},
	} {
		if o.Thresholds == (pwarmup.Thresholds{}) {
			o.Thresholds = d
		}
		err := assessRun(newEnv("table").f, &o)
		if cmdutil.ExitCode(err) != 2 {
			t.Errorf("%+v: %v, want bad input", o, err)
		}
	}
	// The plan from standard input.
	e = newEnv("table")
	e.in.Write(js)
	if err := assessRun(e.f, &AssessOptions{Stats: pwarmup.Stats{Sent: 1000}, Day: 1, PlanFile: "-", Thresholds: d, FailOn: finding.Warning}); err != nil {
		t.Errorf("plan from stdin: %v", err)
	}
}

func TestExamplesParse(t *testing.T) {
	for _, c := range []struct {
		path string
		new  func(*cmdutil.Factory, bool) *cobra.Command
	}{
		{"warmup plan", func(f *cmdutil.Factory, stop bool) *cobra.Command {
			if stop {
				return NewCmdPlan(f, func(*PlanOptions) error { return nil })
			}
			return NewCmdPlan(f, nil)
		}},
		{"warmup assess", func(f *cmdutil.Factory, stop bool) *cobra.Command {
			if stop {
				return NewCmdAssess(f, func(*AssessOptions) error { return nil })
			}
			return NewCmdAssess(f, nil)
		}},
	} {
		for _, line := range strings.Split(c.new(newEnv("table").f, false).Example, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "emailauth warmup ") {
				t.Fatalf("%s: an example that is not a warmup command: %q", c.path, line)
			}
			if !strings.HasPrefix(line, "emailauth "+c.path+" ") {
				continue // the other warmup command, as a step of the example
			}
			var args []string
			for _, w := range strings.Fields(strings.TrimPrefix(line, "emailauth "+c.path)) {
				if w == "|" || strings.HasPrefix(w, ">") {
					break
				}
				args = append(args, w)
			}
			if err := run(c.new(newEnv("table").f, true), args...); err != nil {
				t.Errorf("example %q: %v", line, err)
			}
		}
	}
}
