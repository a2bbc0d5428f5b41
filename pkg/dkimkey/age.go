package dkimkey

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file works out how long a DKIM key has been in use, where that can
// be known. The DNS does not say when a record was published, so the age
// comes from what people and tools write down: a date in the selector name
// (M3AAWG's key rotation practices name selectors after the month a key
// goes into service, "sales201309"), or the modification time of the
// private key file (when the key was written). Neither is proof, so the
// age is reported with where it comes from, and the older of the two is
// used: a key is at least as old as the earliest sign of it.

// DefaultMaxKeyAge is the key age past which a key should be rotated: six
// months (180 days), the longest interval M3AAWG's DKIM Key Rotation Best
// Common Practices (2019) recommends.
const DefaultMaxKeyAge = 180 * 24 * time.Hour

// Day is a calendar day of 24 hours, the unit key ages are counted in.
const Day = 24 * time.Hour

// Where a key's age comes from.
const (
	AgeFromSelector = "selector"
	AgeFromKeyFile  = "key-file"
)

// KeyAge is how long a key has been in use.
type KeyAge struct {
	// Since is when the key went into service, as far as can be known.
	Since time.Time `json:"since"`
	// Source says where Since comes from: AgeFromSelector (a date in the
	// selector name) or AgeFromKeyFile (the private key file's
	// modification time).
	Source string `json:"source"`
	// Days is the age in whole days.
	Days int `json:"days"`
	// MaxDays is the age past which the key should be rotated (0: not
	// judged); Over is true past it.
	MaxDays int  `json:"max_days,omitempty"`
	Over    bool `json:"over"`
}

// Date patterns in a selector, each between non-digits (or the ends), years
// 2000 to 2099: 20260601, 2026-06-01, 2026_06_01; 202606, 2026-06; 2026q3,
// 2026-Q3. A lone year ("s2048" is a key size more often than a year) is
// not a date. They are compiled on first use, not at every start-up.
var (
	selectorDay = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:^|[^0-9])(20[0-9]{2})([-_.]?)(0[1-9]|1[0-2])([-_.]?)(0[1-9]|[12][0-9]|3[01])(?:[^0-9]|$)`)
	})
	selectorMonth = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:^|[^0-9])(20[0-9]{2})[-_.]?(0[1-9]|1[0-2])(?:[^0-9]|$)`)
	})
	selectorQuarter = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:^|[^0-9])(20[0-9]{2})[-_.]?q([1-4])(?:[^0-9]|$)`)
	})
)

// SelectorDate returns the date a selector name carries, and false when it
// carries none: a day (s20260601, 2026-06-01), a month (s2026-06, 202606:
// its first day) or a quarter (2026q3: its first day), in UTC. The
// separators of a day must match (2026-06_01 is not a date).
func SelectorDate(selector string) (time.Time, bool) {
	s := strings.ToLower(selector)
	if m := selectorDay().FindStringSubmatch(s); m != nil && m[2] == m[4] {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[3])
		d, _ := strconv.Atoi(m[5])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Day() == d { // not 2026-02-30
			return t, true
		}
	}
	if m := selectorMonth().FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC), true
	}
	if m := selectorQuarter().FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		return time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

// KeyAgeOf returns the age at now of the key at selector, from the date in
// the selector name and the private key file's modification time (zero when
// unknown), whichever is older; nil when neither says anything. A date after
// now says nothing about the age (a selector named for the month a key is
// planned to go into service). maxAge, when positive, is the age past which
// the key should be rotated.
func KeyAgeOf(selector string, keyFileTime, now time.Time, maxAge time.Duration) *KeyAge {
	var age *KeyAge
	consider := func(t time.Time, source string) {
		if t.IsZero() || t.After(now) {
			return
		}
		if age == nil || t.Before(age.Since) {
			age = &KeyAge{Since: t.UTC(), Source: source}
		}
	}
	if t, ok := SelectorDate(selector); ok {
		consider(t, AgeFromSelector)
	}
	consider(keyFileTime, AgeFromKeyFile)
	if age == nil {
		return nil
	}
	d := now.Sub(age.Since)
	age.Days = int(d / Day)
	if maxAge > 0 {
		age.MaxDays = int((maxAge + Day - 1) / Day)
		age.Over = d > maxAge
	}
	return age
}

// Describe says in words where the age comes from: "since 2026-06-01 (the
// date in the selector name)".
func (a *KeyAge) Describe() string {
	from := "the date in the selector name"
	if a.Source == AgeFromKeyFile {
		from = "the private key file's modification time"
	}
	return fmt.Sprintf("since %s (%s)", a.Since.Format(time.DateOnly), from)
}

// ErrBadAge is wrapped by ParseAge's errors.
var ErrBadAge = errors.New("not a duration")

// ParseAge parses a duration written in days ("180d"), weeks ("26w") or as
// a Go duration ("4320h", "90m"); "0" is zero. Negative durations are
// refused.
func ParseAge(s string) (time.Duration, error) {
	v := strings.TrimSpace(strings.ToLower(s))
	if v == "0" {
		return 0, nil
	}
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(v, "d"):
		unit = Day
	case strings.HasSuffix(v, "w"):
		unit = 7 * Day
	}
	if unit != 0 {
		n, err := strconv.ParseUint(v[:len(v)-1], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("dkimkey: %q: %w: want a number of days (180d), weeks (26w) or a duration (4320h)", s, ErrBadAge)
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("dkimkey: %q: %w: want a number of days (180d), weeks (26w) or a duration (4320h)", s, ErrBadAge)
	}
	return d, nil
}

// FormatAge writes a duration the way ParseAge reads it: whole days as
// "180d", anything else as a Go duration.
func FormatAge(d time.Duration) string {
	if d > 0 && d%Day == 0 {
		return fmt.Sprintf("%dd", d/Day)
	}
	return d.String()
}
