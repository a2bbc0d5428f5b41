package warmup

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/finding"
)

func TestParseRate(t *testing.T) {
	good := map[string]Rate{
		"0.1%": 1000, "0.3%": 3000, "2%": 20000, "5%": 50000, "10%": 100000, "100%": PerMillion,
		"0%": 0, " 0.0125 % ": 125, ".5%": 5000, "0.0001%": 1, "12.5%": 125000,
	}
	for in, want := range good {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0.1", "2", "", "%", "-1%", "100.0001%", "101%", "1e-3%", "0.00001%", "abc%", "1,5%", "1000%"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %d, want an error", in, r)
		}
	}
	for _, r := range []Rate{0, 1, 125, 1000, 3000, 20000, 125000, PerMillion} {
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Errorf("%d -> %q -> %d, %v", r, r.String(), back, err)
		}
	}
	if s := Rate(1000).String(); s != "0.1%" {
		t.Errorf("0.1%% written %q", s)
	}
}

func TestRateReachesExactly(t *testing.T) {
	tests := []struct {
		r        Rate
		n, total int64
		want     bool
	}{
		{3000, 3, 1000, true},  // exactly 0.3%
		{3000, 2, 1000, false}, // 0.2%
		{3000, 2999, 1000000, false},
		{3000, 3000, 1000000, true},
		{1000, 1, 1000, true},
		{1000, 1, 1001, false},
		{1000, 0, 5, false},
		{1000, 0, 0, false},
		{20000, 1, 50, true}, // 2%
		{20000, 1, 51, false},
		{PerMillion, 7, 7, true},
	}
	for _, tc := range tests {
		if got := tc.r.Reaches(tc.n, tc.total); got != tc.want {
			t.Errorf("%s reached by %d/%d: %v, want %v", tc.r, tc.n, tc.total, got, tc.want)
		}
	}
}

func checkPlan(t *testing.T, s *Schedule) {
	t.Helper()
	if s.Days[0].Volume != s.Start || s.Days[len(s.Days)-1].Volume != s.Target {
		t.Errorf("the plan runs from %d to %d, want %d to %d", s.Days[0].Volume, s.Days[len(s.Days)-1].Volume, s.Start, s.Target)
	}
	var cum int64
	for i, d := range s.Days {
		cum += d.Volume
		if d.Day != i+1 || d.Cumulative != cum {
			t.Errorf("day %d: %+v", i+1, d)
		}
		if i > 0 {
			prev := s.Days[i-1].Volume
			if d.Volume < prev || float64(d.Volume) > float64(prev)*s.MaxGrowth {
				t.Errorf("day %d: %d after %d (max ×%g)", d.Day, d.Volume, prev, s.MaxGrowth)
			}
		}
	}
	if len(s.Assumptions) < 5 {
		t.Errorf("%d assumptions", len(s.Assumptions))
	}
}

func TestPlan(t *testing.T) {
	s, err := Plan(100000, 50, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, s)
	// ln(2000)/ln(1.5) = 18.75: 19 steps, 20 days.
	if len(s.Days) != 20 || s.Growth > DefaultGrowth {
		t.Errorf("%d days, ×%g", len(s.Days), s.Growth)
	}
	want := []int64{50, 75, 110, 170, 250, 370, 550, 820, 1200, 1800}
	for i, v := range want {
		if s.Days[i].Volume != v {
			t.Errorf("day %d: %d, want %d", i+1, s.Days[i].Volume, v)
		}
	}
	if !strings.Contains(s.Assumptions[0], "×1.49 (+49%), from 50 to 100000 in 20 days") {
		t.Errorf("first assumption: %s", s.Assumptions[0])
	}

	// A given length: 30 days.
	s, err = Plan(250000, 100, 30, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, s)
	if len(s.Days) != 30 || math.Abs(s.Growth-1.31) > 0.01 {
		t.Errorf("%d days, ×%g", len(s.Days), s.Growth)
	}

	// Exactly at the maximum growth: 50 -> 100 -> 200 -> 400 in 4 days.
	s, err = Plan(400, 50, 4, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, s)
	if got := []int64{s.Days[0].Volume, s.Days[1].Volume, s.Days[2].Volume, s.Days[3].Volume}; got[1] != 100 || got[2] != 200 {
		t.Errorf("%v", got)
	}

	// No ramp: the start is the target.
	s, err = Plan(500, 500, 0, Options{})
	if err != nil || len(s.Days) != 1 || s.Days[0].Volume != 500 {
		t.Fatalf("%+v %v", s, err)
	}

	// Small numbers and odd ratios keep every rule.
	for _, c := range [][3]int64{{7, 1, 0}, {1000003, 1, 0}, {999, 998, 0}, {12345, 17, 12}, {MaxVolume, 1, 0}, {300, 150, 2}, {2, 1, 2}, {301, 150, 3}} {
		s, err := Plan(c[0], c[1], int(c[2]), Options{})
		if err != nil {
			t.Errorf("Plan(%d, %d, %d): %v", c[0], c[1], c[2], err)
			continue
		}
		checkPlan(t, s)
	}
}

func TestPlanRefusals(t *testing.T) {
	tests := []struct {
		target, start int64
		days          int
		opts          Options
		field, hint   string
	}{
		{100000, 50, 10, Options{}, "days", "give --days 12 or more"},
		{100, 50, 1, Options{}, "days", "give --days 2 or more"},
		{0, 50, 0, Options{}, "target", ""},
		{MaxVolume + 1, 50, 0, Options{}, "target", ""},
		{100, 0, 0, Options{}, "start", ""},
		{100, 200, 0, Options{}, "start", "below the target"},
		{100, 50, -1, Options{}, "days", ""},
		{100, 50, MaxDays + 1, Options{}, "days", ""},
		{100, 50, 0, Options{Growth: 1}, "growth", ""},
		{100, 50, 0, Options{Growth: 3}, "growth", ""},
		{100, 50, 0, Options{MaxGrowth: 11}, "max-growth", ""},
		{100, 50, 0, Options{MaxGrowth: 1}, "max-growth", ""},
		{MaxVolume, 1, 0, Options{Growth: 1.05}, "growth", "raise --growth"},
	}
	for _, tc := range tests {
		_, err := Plan(tc.target, tc.start, tc.days, tc.opts)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tc.field || !strings.Contains(ie.Hint, tc.hint) {
			t.Errorf("Plan(%d, %d, %d, %+v): %v (%+v), want an error about %s", tc.target, tc.start, tc.days, tc.opts, err, ie, tc.field)
		}
	}
	// A steeper ramp is allowed when the maximum is raised on purpose.
	if _, err := Plan(100000, 50, 10, Options{MaxGrowth: 3}); err != nil {
		t.Error(err)
	}
}

// codes returns the codes of a's findings.
func codes(a *Assessment) string {
	var c []string
	for _, f := range a.Findings {
		c = append(c, f.Code)
	}
	return strings.Join(c, ",")
}

func TestAssessThresholds(t *testing.T) {
	d := DefaultThresholds
	tests := []struct {
		name  string
		s     Stats
		want  Verdict
		codes string
	}{
		// Complaints per delivered message: 0.1% slows down, 0.3% pauses.
		{"no complaints", Stats{Sent: 10000}, Continue, ""},
		{"complaints just under 0.1%", Stats{Sent: 10000, Complaints: 9}, Continue, ""},
		{"complaints at 0.1%", Stats{Sent: 10000, Complaints: 10}, SlowDown, "warmup.complaint-rate-high"},
		{"complaints just over 0.1%", Stats{Sent: 10000, Complaints: 11}, SlowDown, "warmup.complaint-rate-high"},
		{"complaints just under 0.3%", Stats{Sent: 10000, Complaints: 29}, SlowDown, "warmup.complaint-rate-high"},
		{"complaints at 0.3%", Stats{Sent: 10000, Complaints: 30}, Pause, "warmup.complaint-rate-pause"},
		{"complaints over 0.3%", Stats{Sent: 10000, Complaints: 31}, Pause, "warmup.complaint-rate-pause"},
		// The rate is per delivered message: 9 of 9,000 delivered is 0.1%.
		{"complaints at 0.1% of delivered", Stats{Sent: 10000, Bounced: 1000, Complaints: 9}, Pause, "warmup.bounce-rate-pause,warmup.complaint-rate-high"},
		// Hard bounces per message sent: 2% slows down, 5% pauses.
		{"bounces just under 2%", Stats{Sent: 10000, Bounced: 199}, Continue, ""},
		{"bounces at 2%", Stats{Sent: 10000, Bounced: 200}, SlowDown, "warmup.bounce-rate-high"},
		{"bounces just over 2%", Stats{Sent: 10000, Bounced: 201}, SlowDown, "warmup.bounce-rate-high"},
		{"bounces just under 5%", Stats{Sent: 10000, Bounced: 499}, SlowDown, "warmup.bounce-rate-high"},
		{"bounces at 5%", Stats{Sent: 10000, Bounced: 500}, Pause, "warmup.bounce-rate-pause"},
		{"bounces over 5%", Stats{Sent: 10000, Bounced: 501}, Pause, "warmup.bounce-rate-pause"},
		{"everything bounced", Stats{Sent: 100, Bounced: 100}, Pause, "warmup.bounce-rate-pause"},
		// The worse reason decides.
		{"slow-down complaints, pause bounces", Stats{Sent: 10000, Bounced: 600, Complaints: 10}, Pause, "warmup.bounce-rate-pause,warmup.complaint-rate-high"},
		{"pause complaints, slow-down bounces", Stats{Sent: 10000, Bounced: 300, Complaints: 30}, Pause, "warmup.complaint-rate-pause,warmup.bounce-rate-high"},
		// Small samples: one complaint in 1,000 delivered reaches 0.1%.
		{"small sample, no complaint", Stats{Sent: 1000}, Continue, "warmup.small-sample"},
		{"small sample, one complaint", Stats{Sent: 500, Complaints: 1}, SlowDown, "warmup.complaint-rate-high,warmup.small-sample"},
		{"just large enough", Stats{Sent: 1001}, Continue, ""},
		// Complaints unknown: judged on bounces only.
		{"no complaint data", Stats{Sent: 10000, NoComplaints: true}, Continue, "warmup.no-complaint-data"},
		{"no complaint data, bounces at 2%", Stats{Sent: 10000, Bounced: 200, NoComplaints: true}, SlowDown, "warmup.bounce-rate-high,warmup.no-complaint-data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Assess(tc.s, 0, nil, d)
			if err != nil {
				t.Fatal(err)
			}
			if a.Verdict != tc.want || codes(a) != tc.codes {
				t.Errorf("%s [%s], want %s [%s]", a.Verdict, codes(a), tc.want, tc.codes)
			}
			wantStatus := map[Verdict]finding.Status{Continue: "pass", SlowDown: "warn", Pause: "fail"}[tc.want]
			if a.Status != wantStatus {
				t.Errorf("status %s, want %s", a.Status, wantStatus)
			}
			if tc.want != Continue && a.Reason != a.Findings[0].Message {
				t.Errorf("reason %q, want the first finding's message", a.Reason)
			}
		})
	}
}

func TestAssessAgainstPlan(t *testing.T) {
	plan, err := Plan(1_000_000, 2000, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	day4 := plan.Volume(4)
	tests := []struct {
		name   string
		sent   int64
		day    int
		bounce int64
		want   Verdict
		codes  string
		next   *Step
		resume *Step
	}{
		{"on plan", day4, 4, 0, Continue, "", &Step{Day: 5, Volume: plan.Volume(5)}, nil},
		{"10% over: the tolerance", day4 * 11 / 10, 4, 0, Continue, "", &Step{Day: 5, Volume: plan.Volume(5)}, nil},
		{"just over the tolerance", day4*11/10 + 1, 4, 0, SlowDown, "warmup.over-plan", &Step{Day: 4, Volume: day4}, nil},
		{"under the plan", day4 / 2, 4, 0, Continue, "", &Step{Day: 5, Volume: plan.Volume(5)}, nil},
		{"bounces at 2%: send day 4 again", 5000, 9, 100, SlowDown, "warmup.bounce-rate-high", &Step{Day: 9, Volume: plan.Volume(9)}, nil},
		{"pause: resume at half", plan.Volume(9), 9, plan.Volume(9) / 10, Pause, "warmup.bounce-rate-pause", nil, halfStep(plan, 9)},
		{"pause on day 1: resume at day 1", 2000, 1, 1000, Pause, "warmup.bounce-rate-pause,warmup.small-sample", nil, &Step{Day: 1, Volume: 2000}},
		{"last day", plan.Target, len(plan.Days), 0, Continue, "warmup.plan-complete", &Step{Day: len(plan.Days) + 1, Volume: plan.Target}, nil},
		{"past the last day, over the target", plan.Target * 2, len(plan.Days) + 3, 0, SlowDown, "warmup.over-plan,warmup.plan-complete", &Step{Day: len(plan.Days) + 3, Volume: plan.Target}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Assess(Stats{Sent: tc.sent, Bounced: tc.bounce}, tc.day, plan, DefaultThresholds)
			if err != nil {
				t.Fatal(err)
			}
			if a.Verdict != tc.want || codes(a) != tc.codes {
				t.Errorf("%s [%s], want %s [%s]", a.Verdict, codes(a), tc.want, tc.codes)
			}
			if !sameStep(a.Next, tc.next) || !sameStep(a.Resume, tc.resume) {
				t.Errorf("next %+v resume %+v, want %+v %+v", a.Next, a.Resume, tc.next, tc.resume)
			}
			if a.Day != tc.day || a.Planned != plan.Volume(tc.day) {
				t.Errorf("day %d planned %d", a.Day, a.Planned)
			}
		})
	}
	// Without a plan: hold the volume, or resume at half.
	a, _ := Assess(Stats{Sent: 1000, Bounced: 25}, 0, nil, DefaultThresholds)
	if a.Next == nil || a.Next.Volume != 1000 || a.Next.Day != 0 {
		t.Errorf("slow down without a plan: next %+v", a.Next)
	}
	a, _ = Assess(Stats{Sent: 1000, Bounced: 60}, 0, nil, DefaultThresholds)
	if a.Resume == nil || a.Resume.Volume != 500 || a.Next != nil {
		t.Errorf("pause without a plan: resume %+v next %+v", a.Resume, a.Next)
	}
	a, _ = Assess(Stats{Sent: 5000}, 0, nil, DefaultThresholds)
	if a.Next != nil || a.Reason != "every rate is within its threshold" {
		t.Errorf("continue without a plan: next %+v, reason %q", a.Next, a.Reason)
	}
}

func halfStep(p *Schedule, day int) *Step {
	for d := day; d >= 1; d-- {
		if p.Volume(d) <= p.Volume(day)/2 {
			return &Step{Day: d, Volume: p.Volume(d)}
		}
	}
	return &Step{Day: 1, Volume: p.Volume(1)}
}

func sameStep(a, b *Step) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func TestAssessCustomThresholds(t *testing.T) {
	strict := Thresholds{ComplaintSlowDown: 500, ComplaintPause: 1000, BounceSlowDown: 10000, BouncePause: 20000, OverPlan: 0}
	a, err := Assess(Stats{Sent: 10000, Complaints: 5}, 0, nil, strict)
	if err != nil || a.Verdict != SlowDown {
		t.Fatalf("%v %v", a, err)
	}
	a, _ = Assess(Stats{Sent: 10000, Bounced: 200}, 0, nil, strict)
	if a.Verdict != Pause {
		t.Errorf("bounces at 2%% with a 2%% pause threshold: %s", a.Verdict)
	}
	plan, _ := Plan(100000, 5000, 0, Options{})
	a, _ = Assess(Stats{Sent: plan.Volume(2) + 1}, 2, plan, strict)
	if a.Verdict != SlowDown || codes(a) != "warmup.over-plan" {
		t.Errorf("one over the plan with no tolerance: %s [%s]", a.Verdict, codes(a))
	}
	for _, bad := range []Thresholds{
		{ComplaintSlowDown: 3000, ComplaintPause: 3000, BounceSlowDown: 1, BouncePause: 2},
		{ComplaintSlowDown: 1, ComplaintPause: 2, BounceSlowDown: 5, BouncePause: 4},
		{ComplaintSlowDown: 0, ComplaintPause: 2, BounceSlowDown: 1, BouncePause: 2},
		{ComplaintSlowDown: 1, ComplaintPause: 2, BounceSlowDown: 1, BouncePause: 2, OverPlan: -1},
	} {
		if _, err := Assess(Stats{Sent: 1}, 0, nil, bad); err == nil {
			t.Errorf("thresholds %+v accepted", bad)
		}
	}
}

func TestAssessRefusesImpossibleCounts(t *testing.T) {
	plan, _ := Plan(1000, 100, 0, Options{})
	for _, c := range []struct {
		s     Stats
		day   int
		plan  *Schedule
		field string
	}{
		{Stats{Sent: 0}, 0, nil, "sent"},
		{Stats{Sent: MaxVolume + 1}, 0, nil, "sent"},
		{Stats{Sent: 10, Bounced: 11}, 0, nil, "bounced"},
		{Stats{Sent: 10, Bounced: -1}, 0, nil, "bounced"},
		{Stats{Sent: 10, Bounced: 5, Complaints: 6}, 0, nil, "complaints"},
		{Stats{Sent: 10}, 0, plan, "day"},
	} {
		_, err := Assess(c.s, c.day, c.plan, DefaultThresholds)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%+v day %d: %v, want an error about %s", c.s, c.day, err, c.field)
		}
	}
}

func TestReadSchedule(t *testing.T) {
	plan, _ := Plan(5000, 50, 0, Options{})
	js, _ := json.Marshal(plan)
	got, err := ReadSchedule(strings.NewReader(string(js)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Days) != len(plan.Days) || got.Volume(3) != plan.Volume(3) || got.Target != 5000 || got.Start != 50 {
		t.Errorf("%+v", got)
	}
	csv := "day,volume,cumulative,growth\n1,50,50,0\n2,100,150,2\n3,150,300,1.5\n"
	got, err = ReadSchedule(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if got.Target != 150 || got.Days[2].Cumulative != 300 {
		t.Errorf("%+v", got)
	}
	for _, bad := range []string{
		"", "{", `{"days":[]}`, `{"days":[{"day":2,"volume":5}]}`, `{"days":[{"day":1,"volume":0}]}`,
		"volume\n5\n", "day,volume\n1,x\n", "day,volume\n1\n", "hello",
		"day,volume\n" + strings.Repeat("1,1\n", MaxDays+1),
		strings.Repeat(" ", MaxPlanSize+1),
	} {
		if _, err := ReadSchedule(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadSchedule(%.40q) accepted", bad)
		}
	}
}

func TestRateJSON(t *testing.T) {
	b, _ := json.Marshal(DefaultThresholds)
	if string(b) != `{"complaint_slow_down":0.001,"complaint_pause":0.003,"bounce_slow_down":0.02,"bounce_pause":0.05,"over_plan":0.1}` {
		t.Errorf("%s", b)
	}
	var th Thresholds
	if err := json.Unmarshal(b, &th); err != nil || th != DefaultThresholds {
		t.Errorf("%+v %v", th, err)
	}
	var r Rate
	if err := json.Unmarshal([]byte(`"0.3%"`), &r); err != nil || r != 3000 {
		t.Errorf("%d %v", r, err)
	}
	if err := json.Unmarshal([]byte(`2`), &r); err == nil {
		t.Error("a rate of 2 accepted")
	}
}

func BenchmarkPlan(b *testing.B) {
	for b.Loop() {
		if _, err := Plan(1_000_000, 50, 0, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAssess(b *testing.B) {
	plan, _ := Plan(1_000_000, 50, 0, Options{})
	for b.Loop() {
		if _, err := Assess(Stats{Sent: 5000, Bounced: 40, Complaints: 3}, 10, plan, DefaultThresholds); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"0.1%", "2%", "100%", ".5%", "0.0001%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r < 0 || r > PerMillion {
			t.Fatalf("%q parsed to %d", s, r)
		}
		if back, err := ParseRate(r.String()); err != nil || back != r {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, r, r.String(), back, err)
		}
	})
}

func FuzzReadSchedule(f *testing.F) {
	plan, _ := Plan(5000, 50, 0, Options{})
	js, _ := json.Marshal(plan)
	f.Add(string(js))
	f.Add("day,volume\n1,50\n2,100\n")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ReadSchedule(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(p.Days) == 0 || len(p.Days) > MaxDays {
			t.Fatalf("%d days", len(p.Days))
		}
		if _, err := Assess(Stats{Sent: 100}, len(p.Days), p, DefaultThresholds); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseVolume(t *testing.T) {
	good := map[string]int64{
		"100000": 100000, "100000/day": 100000, " 250k/day ": 250000, "1.5M": 1500000, "1.5m/d": 1500000,
		"100_000": 100000, "50": 50, "2.25k": 2250, "1": 1, "1000000000000": MaxVolume,
	}
	for in, want := range good {
		if got, err := ParseVolume(in); err != nil || got != want {
			t.Errorf("ParseVolume(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5", "1.5", "100,000", "1e6", "k", "1.2345k", "abc", "1000000000001", "99999999999999999999", "1./day", "5/week"} {
		if v, err := ParseVolume(in); err == nil {
			t.Errorf("ParseVolume(%q) = %d, want an error", in, v)
		}
	}
}
