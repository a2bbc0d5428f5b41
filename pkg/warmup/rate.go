package warmup

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Rate is a proportion in parts per million: 1000 is 0.1%, 1000000 is
// 100%. Thresholds are written and read as percentages ("0.1%"); JSON
// carries a Rate as a fraction (0.001).
type Rate int64

// PerMillion is the Rate of 100%.
const PerMillion Rate = 1_000_000

// ParseRate reads a percentage: a decimal number of at most four decimals
// followed by "%" ("0.1%", "2%", "0.0125%"), from 0% to 100%. A number
// without "%" is refused: 0.1 would be ambiguous (0.1% or 10%?).
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	num, ok := strings.CutSuffix(t, "%")
	if !ok {
		return 0, fmt.Errorf("warmup: %q is not a percentage: write it with %%, as in 0.1%% or 2%%", s)
	}
	num = strings.TrimSpace(num)
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("warmup: %q is not a percentage: write it with %%, as in 0.1%% or 2%%", s)
	}
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 4 || !digits(whole) || !digits(frac) || len(whole) > 3 {
		return 0, fmt.Errorf("warmup: %q is not a percentage from 0%% to 100%% with at most four decimals", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64)
	}
	r := Rate(w*10_000 + f)
	if r > PerMillion {
		return 0, fmt.Errorf("warmup: %q is more than 100%%", s)
	}
	return r, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RateOf returns n in total as a Rate, rounded down; 0 when total is 0.
func RateOf(n, total int64) Rate {
	if total <= 0 {
		return 0
	}
	return Rate(n * int64(PerMillion) / total)
}

// Reaches reports whether n in total is at or above r, exactly.
func (r Rate) Reaches(n, total int64) bool {
	if total <= 0 {
		return false
	}
	return n*int64(PerMillion) >= int64(r)*total
}

// String writes the rate as a percentage, without trailing zeros: "0.1%",
// "2%", "0.0125%".
func (r Rate) String() string {
	s := strconv.FormatInt(int64(r)/10_000, 10)
	if f := int64(r) % 10_000; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%04d", f), "0")
	}
	return s + "%"
}

// Fraction returns the rate as a fraction of 1.
func (r Rate) Fraction() float64 { return float64(r) / float64(PerMillion) }

// MarshalJSON writes the rate as a fraction (0.001 for 0.1%).
func (r Rate) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(r.Fraction(), 'f', -1, 64)), nil
}

// UnmarshalJSON reads a fraction (0.001), or a percentage in a string
// ("0.1%").
func (r *Rate) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := ParseRate(s)
		*r = v
		return err
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil || f < 0 || f > 1 {
		return fmt.Errorf("warmup: %s is not a rate: want a fraction from 0 to 1, or a percentage such as \"0.1%%\"", b)
	}
	*r = Rate(f*float64(PerMillion) + 0.5)
	return nil
}

// ParseVolume reads a daily volume: a whole number, optionally with a k
// (thousand) or M (million) suffix and a decimal point before it, and
// optionally followed by "/day" ("100000", "100000/day", "250k/day",
// "1.5M"). "_" may group digits ("100_000"); a comma may not, since lists
// use it.
func ParseVolume(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "/day"), "/d"))
	t = strings.ReplaceAll(t, "_", "")
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1_000, strings.TrimSuffix(t, "k")
	case strings.HasSuffix(t, "m"):
		mult, t = 1_000_000, strings.TrimSuffix(t, "m")
	}
	whole, frac, hasFrac := strings.Cut(t, ".")
	bad := fmt.Errorf("warmup: %q is not a daily volume: write a whole number such as 100000, 250k or 1.5M, optionally followed by /day", s)
	if whole == "" || !digits(whole) || !digits(frac) || len(whole) > 13 || hasFrac && (frac == "" || mult == 1) {
		return 0, bad
	}
	n, _ := strconv.ParseInt(whole, 10, 64)
	v := n * mult
	if frac != "" {
		scale := int64(1)
		for range frac {
			scale *= 10
			if scale > mult {
				return 0, bad // finer than one message
			}
		}
		f, _ := strconv.ParseInt(frac, 10, 64)
		v += f * mult / scale
	}
	if v < 1 || v > MaxVolume {
		return 0, fmt.Errorf("warmup: %q: want a daily volume from 1 to %d", s, int64(MaxVolume))
	}
	return v, nil
}
