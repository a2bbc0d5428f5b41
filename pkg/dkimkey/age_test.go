package dkimkey

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func TestSelectorDate(t *testing.T) {
	for _, tc := range []struct {
		sel  string
		want string // YYYY-MM-DD, "" for none
	}{
		{"s20260601", "2026-06-01"},
		{"20260601", "2026-06-01"},
		{"2026-06-01", "2026-06-01"},
		{"mail_2026_06_01", "2026-06-01"},
		{"s2026-06", "2026-06-01"},
		{"s202606", "2026-06-01"},
		{"sales201309", "2013-09-01"}, // M3AAWG's example
		{"S2026-06", "2026-06-01"},
		{"tenant-2026.11", "2026-11-01"},
		{"2026q3", "2026-07-01"},
		{"k-2026-Q1", "2026-01-01"},
		{"s2026q4b", "2026-10-01"},
		{"2026-06_01", "2026-06-01"}, // mixed separators: not a day, but 2026-06 is a month
		{"s20260230", ""},            // no 30 February, and 202602 runs on into digits
		{"s2048", ""},                // a key size, not a year
		{"s1024", ""},
		{"selector1", ""},
		{"s2026", ""},
		{"s2026-13", ""},
		{"s19990601", ""}, // outside 2000-2099
		{"s202611231", ""},
		{"1712345678", ""}, // a Unix time is not read
		{"google", ""},
		{"2026q5", ""},
	} {
		got, ok := SelectorDate(tc.sel)
		s := ""
		if ok {
			s = got.Format(time.DateOnly)
		}
		if s != tc.want {
			t.Errorf("SelectorDate(%q) = %q, want %q", tc.sel, s, tc.want)
		}
	}
}

func TestKeyAgeOf(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	file := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		sel     string
		file    time.Time
		max     time.Duration
		nilAge  bool
		source  string
		days    int
		over    bool
		maxDays int
	}{
		{name: "nothing known", sel: "mailu", nilAge: true},
		{name: "selector date", sel: "s2026-06", max: DefaultMaxKeyAge, source: AgeFromSelector, days: 175, maxDays: 180},
		{name: "selector date over", sel: "s2026-05", max: DefaultMaxKeyAge, source: AgeFromSelector, days: 206, over: true, maxDays: 180},
		{name: "exactly the maximum is not over", sel: "s20260526", max: 181*Day + 12*time.Hour, source: AgeFromSelector, days: 181, maxDays: 182},
		{name: "file only", sel: "mailu", file: file, max: DefaultMaxKeyAge, source: AgeFromKeyFile, days: 258, over: true, maxDays: 180},
		{name: "the older of the two", sel: "s2026-06", file: file, max: DefaultMaxKeyAge, source: AgeFromKeyFile, days: 258, over: true, maxDays: 180},
		{name: "selector older than file", sel: "s2025-12", file: file, source: AgeFromSelector, days: 357},
		{name: "a future selector date says nothing", sel: "s2027-01", nilAge: true},
		{name: "a future file time says nothing", sel: "x", file: now.Add(time.Hour), nilAge: true},
		{name: "no maximum", sel: "s2020-01", source: AgeFromSelector, days: 2518},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := KeyAgeOf(tc.sel, tc.file, now, tc.max)
			if tc.nilAge {
				if a != nil {
					t.Fatalf("age %+v, want none", a)
				}
				return
			}
			if a == nil {
				t.Fatal("no age")
			}
			if a.Source != tc.source || a.Days != tc.days || a.Over != tc.over || a.MaxDays != tc.maxDays {
				t.Errorf("age %+v, want source %s, %d days, over %v, max %d", a, tc.source, tc.days, tc.over, tc.maxDays)
			}
		})
	}
	a := KeyAgeOf("s2026-06", time.Time{}, now, 0)
	if got := a.Describe(); got != "since 2026-06-01 (the date in the selector name)" {
		t.Errorf("Describe = %q", got)
	}
	a = KeyAgeOf("x", file, now, 0)
	if got := a.Describe(); got != "since 2026-03-10 (the private key file's modification time)" {
		t.Errorf("Describe = %q", got)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"180d": 180 * Day, "26w": 182 * Day, "0": 0, "4320h": 180 * Day, " 90D ": 90 * Day, "0d": 0, "90m": 90 * time.Minute,
	} {
		got, err := ParseAge(in)
		if err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "-5h", "1.5d", "six months", "180", "99999999d"} {
		if _, err := ParseAge(in); !errors.Is(err, ErrBadAge) {
			t.Errorf("ParseAge(%q) = %v, want ErrBadAge", in, err)
		}
	}
	for d, want := range map[time.Duration]string{180 * Day: "180d", 0: "0s", 36 * time.Hour: "36h0m0s"} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCheckKeyAge(t *testing.T) {
	k := loadTestKeys(t)
	fake := dnstest.NewFake(
		txt("s2026-05._domainkey.example.com", k.rsa2048),
		txt("s2026-10._domainkey.example.com", k.rsa2048),
		txt("mailu._domainkey.example.com", k.ed),
		txt("s2025-01._domainkey.example.com", "v=DKIM1; p="),
	)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	fileTime := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	res, err := Check(context.Background(), fake, "example.com", []string{"s2026-05", "s2026-10", "mailu", "s2025-01"}, CheckOptions{
		Now: func() time.Time { return now }, MaxKeyAge: DefaultMaxKeyAge,
		PublicKey: k.privEd, KeyFileTime: fileTime,
	})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*SelectorResult{}
	for _, s := range res.Selectors {
		by[s.Selector] = s
	}
	old := by["s2026-05"]
	if old.KeyAge == nil || !old.KeyAge.Over || old.KeyAge.Days != 206 || old.Status != finding.StatusWarn {
		t.Fatalf("s2026-05: age %+v, status %s", old.KeyAge, old.Status)
	}
	if f := old.Findings; !slices.ContainsFunc(f, func(x finding.Finding) bool {
		return x.Code == FindKeyAge.Code && strings.Contains(x.Message, "206 days, since 2026-05-01") &&
			strings.Contains(x.Fix, "emailauth dkim rotate example.com --selector s2026-05 --next s202611 --generate")
	}) {
		t.Errorf("s2026-05 findings %+v", f)
	}
	if a := by["s2026-10"].KeyAge; a == nil || a.Over || a.Days != 53 {
		t.Errorf("s2026-10: age %+v", a)
	}
	// The key file dates the key it holds only (mailu publishes it).
	if a := by["mailu"].KeyAge; a == nil || a.Source != AgeFromKeyFile || a.Days != 357 || !a.Over {
		t.Errorf("mailu: age %+v", a)
	}
	if by["s2025-01"].KeyAge != nil {
		t.Error("a revoked key has no age")
	}
	if res.Status != finding.StatusWarn {
		t.Errorf("status %s", res.Status)
	}
	// Without a clock, nothing changes.
	res, _ = Check(context.Background(), fake, "example.com", []string{"s2026-05"}, CheckOptions{MaxKeyAge: DefaultMaxKeyAge})
	if res.Selectors[0].KeyAge != nil || res.Status != finding.StatusPass {
		t.Errorf("without Now: %+v %s", res.Selectors[0].KeyAge, res.Status)
	}
}
