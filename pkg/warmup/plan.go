package warmup

import (
	"fmt"
	"math"
)

// Defaults and limits of a plan.
const (
	// DefaultStart is the first day's volume when none is given: small
	// enough that a problem on day one costs little.
	DefaultStart = 50
	// DefaultGrowth is the daily growth of a plan whose length is not
	// given: +50% a day.
	DefaultGrowth = 1.5
	// DefaultMaxGrowth is the steepest day-over-day growth a plan may have:
	// doubling.
	DefaultMaxGrowth = 2.0
	// MaxDays is the longest plan.
	MaxDays = 365
	// MaxVolume is the largest daily volume, and the largest count Assess
	// accepts.
	MaxVolume = 1_000_000_000_000
)

// InputError is a value Plan, Assess or ReadSchedule cannot use. Field
// names it ("target", "start", "days", "growth", "sent", ...); Hint says
// how to fix it, when that is known.
type InputError struct {
	Field  string
	Reason string
	Hint   string
}

func (e *InputError) Error() string { return "warmup: " + e.Field + ": " + e.Reason }

func inputErr(field, hint, format string, args ...any) error {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, args...), Hint: hint}
}

// Options shape a plan.
type Options struct {
	// Growth is the daily growth factor of a plan whose length is not
	// given (days 0): DefaultGrowth when zero. It must be above 1 and at
	// most MaxGrowth.
	Growth float64
	// MaxGrowth is the steepest growth allowed: DefaultMaxGrowth when
	// zero, at most 10. A plan of a given length that would need a steeper
	// ramp is refused, with the shortest length that does not.
	MaxGrowth float64
}

// Day is one day of a plan.
type Day struct {
	Day int `json:"day"`
	// Volume is the most messages to send that day; Cumulative the total
	// up to and including it.
	Volume     int64 `json:"volume"`
	Cumulative int64 `json:"cumulative"`
	// Growth is Volume over the day before's (0 on day 1).
	Growth float64 `json:"growth"`
}

// Schedule is a warm-up plan: a daily volume from Start to Target, and the
// assumptions it rests on.
type Schedule struct {
	Target int64 `json:"target"`
	Start  int64 `json:"start"`
	// Growth is the daily growth factor of the curve the days follow
	// (before rounding).
	Growth      float64  `json:"growth"`
	MaxGrowth   float64  `json:"max_growth"`
	Days        []Day    `json:"days"`
	Assumptions []string `json:"assumptions"`
}

// Volume returns the volume planned for day d (from 1); past the last day,
// the target.
func (s *Schedule) Volume(d int) int64 {
	switch {
	case d < 1 || len(s.Days) == 0:
		return 0
	case d > len(s.Days):
		return s.Target
	}
	return s.Days[d-1].Volume
}

// Plan returns a schedule that ramps the daily volume from start to target
// in days days (0: as many as the growth factor needs), growing by the same
// factor every day, rounded to two significant figures, and never by more
// than opts.MaxGrowth in a day.
func Plan(target, start int64, days int, opts Options) (*Schedule, error) {
	if opts.MaxGrowth == 0 {
		opts.MaxGrowth = DefaultMaxGrowth
	}
	if opts.Growth == 0 {
		opts.Growth = min(DefaultGrowth, opts.MaxGrowth)
	}
	switch {
	case target < 1 || target > MaxVolume:
		return nil, inputErr("target", "give the daily volume to reach, such as 100000/day", "%d is not a daily volume from 1 to %d", target, int64(MaxVolume))
	case start < 1 || start > MaxVolume:
		return nil, inputErr("start", "give the first day's volume, such as 50", "%d is not a daily volume from 1 to %d", start, int64(MaxVolume))
	case start > target:
		return nil, inputErr("start", "give a start below the target", "the start (%d) is above the target (%d)", start, target)
	case days < 0 || days > MaxDays:
		return nil, inputErr("days", "leave --days out to let the growth decide", "%d days: want 1 to %d", days, MaxDays)
	case !(opts.MaxGrowth > 1 && opts.MaxGrowth <= 10):
		return nil, inputErr("max-growth", "the default, 2, allows doubling each day", "%g: want a factor above 1 and at most 10", opts.MaxGrowth)
	case !(opts.Growth > 1 && opts.Growth <= opts.MaxGrowth):
		return nil, inputErr("growth", "1.5 (+50% a day) is the default", "%g: want a factor above 1 and at most the maximum growth, %g", opts.Growth, opts.MaxGrowth)
	}
	ratio := float64(target) / float64(start)
	// The fewest days that reach the target growing by at most g a day.
	daysFor := func(g float64) int {
		if ratio <= 1 {
			return 1
		}
		// A hair below 1 absorbs rounding in the logarithms (50 to 100 at
		// ×2 is 2 days, not 3).
		return int(math.Ceil(math.Log(ratio)/math.Log(g)-1e-9)) + 1
	}
	n := days
	if n == 0 {
		n = daysFor(opts.Growth)
		if n > MaxDays {
			return nil, inputErr("growth", fmt.Sprintf("raise --growth (at most %g) or --start", opts.MaxGrowth), "growing ×%g a day takes %d days to reach %d from %d; the most is %d", opts.Growth, n, target, start, MaxDays)
		}
	}
	growth := math.Inf(1) // one day cannot ramp
	if n > 1 {
		growth = math.Pow(ratio, 1/float64(n-1))
	} else if ratio <= 1 {
		growth = 1
	}
	if growth > opts.MaxGrowth*(1+1e-9) {
		least := daysFor(opts.MaxGrowth)
		return nil, inputErr("days", fmt.Sprintf("give --days %d or more, or a higher --start", least),
			"reaching %d a day from %d in %d %s means growing ×%.2f a day, more than ×%g: receivers throttle or block a new sender whose volume jumps", target, start, n, dayWord(n), growth, opts.MaxGrowth)
	}

	s := &Schedule{Target: target, Start: start, Growth: round3(growth), MaxGrowth: opts.MaxGrowth, Days: make([]Day, n)}
	prev := int64(0)
	for i := range n {
		var v int64
		switch {
		case i == 0:
			v = start
		case i == n-1:
			v = target
		default:
			exact := float64(start) * math.Pow(growth, float64(i))
			v = roundNice(exact)
			limit := int64(math.Floor(float64(prev) * opts.MaxGrowth))
			if v < prev || v > limit {
				v = min(max(int64(math.Round(exact)), prev), limit)
			}
			// The day before the last must leave the last step within
			// the limit too.
			if i == n-2 {
				v = max(v, int64(math.Ceil(float64(target)/opts.MaxGrowth)))
			}
		}
		d := Day{Day: i + 1, Volume: v, Cumulative: v}
		if i > 0 {
			d.Cumulative += s.Days[i-1].Cumulative
			d.Growth = round3(float64(v) / float64(prev))
		}
		s.Days[i] = d
		prev = v
	}
	s.Assumptions = assumptions(s)
	return s, nil
}

// roundNice rounds a volume to two significant figures (1234 -> 1200,
// 56789 -> 57000); volumes under 100 to the unit.
func roundNice(x float64) int64 {
	if x < 100 {
		return int64(math.Round(x))
	}
	p := math.Pow(10, math.Floor(math.Log10(x))-1)
	return int64(math.Round(x/p) * p)
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// assumptions are what the plan rests on, written out.
func assumptions(s *Schedule) []string {
	n := len(s.Days)
	a := []string{}
	if n > 1 {
		a = append(a, fmt.Sprintf("The volume grows by the same factor every day, ×%.2f (+%.0f%%), from %d to %d in %d days: mailbox providers judge a new sender by how its volume changes, and a constant factor is the smoothest ramp. Volumes are rounded to two significant figures.", s.Growth, (s.Growth-1)*100, s.Start, s.Target, n))
	} else {
		a = append(a, fmt.Sprintf("The start is the target (%d a day): there is no ramp, but the first days are still judged with 'emailauth warmup assess'.", s.Target))
	}
	a = append(a,
		fmt.Sprintf("No day grows more than ×%g over the day before.", s.MaxGrowth),
		"A day is a day of sending, about 24 hours: a day without sending does not count, and after 30 days or more without sending the warm-up starts again.",
		"Move to the next day only when 'emailauth warmup assess' says continue for the day sent. On slow down, send the same volume again; on pause, stop, fix the cause (the list, the content, the authentication), and resume at about half the volume.",
		"The first days go to the recipients most likely to want the mail (recent sign-ups, recent openers), spread over the day rather than in one burst.",
		"The volume is the total from the new domain or IP address across all mailbox providers; a provider that receives most of it sees most of the ramp, so watch its own signals (Google Postmaster Tools, Yahoo's complaint feedback loop, Microsoft SNDS).",
		"Complaints and hard bounces are counted per day, as each provider reports them; soft bounces and deferrals (4xx) are normal while a new sender is throttled and are not counted as bounces.",
	)
	return a
}

func dayWord(n int) string {
	if n == 1 {
		return "day"
	}
	return "days"
}
