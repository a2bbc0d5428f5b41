package spf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func TestMergeRecord(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		opts     MergeOptions
		want     string
		added    int
		allFrom  string
	}{
		{"include added before all", "v=spf1 mx ip4:203.0.113.5 -all", MergeOptions{Includes: []string{"_spf.platform.test"}}, "v=spf1 mx ip4:203.0.113.5 include:_spf.platform.test -all", 1, ""},
		{"already there, any case", "v=spf1 INCLUDE:_SPF.Platform.test ~all", MergeOptions{Includes: []string{"include:_spf.platform.test"}, All: "~all"}, "v=spf1 INCLUDE:_SPF.Platform.test ~all", 0, ""},
		{"before redirect", "v=spf1 a redirect=_spf.tenant.test", MergeOptions{Includes: []string{"_spf.platform.test"}, All: "-all"}, "v=spf1 a include:_spf.platform.test redirect=_spf.tenant.test", 1, ""},
		{"no all: gains one", "v=spf1 mx", MergeOptions{Includes: []string{"_spf.platform.test"}, All: "~all"}, "v=spf1 mx include:_spf.platform.test ~all", 1, "none"},
		{"neutral all strengthened", "v=spf1 mx ?all", MergeOptions{All: "-all"}, "v=spf1 mx -all", 0, "?all"},
		{"fail all softened to the strongest allowed", "v=spf1 mx -all", MergeOptions{All: "~all"}, "v=spf1 mx ~all", 0, "-all"},
		{"exp stays after", "v=spf1 mx -all exp=explain.tenant.test", MergeOptions{Includes: []string{"a.test", "b.test", "a.test"}}, "v=spf1 mx include:a.test include:b.test -all exp=explain.tenant.test", 2, ""},
		{"whitespace normalised", "v=spf1   mx    -all", MergeOptions{}, "v=spf1 mx -all", 0, ""},
		{"a softfail include of the platform is qualified", "v=spf1 ~include:_spf.platform.test -all", MergeOptions{Includes: []string{"_spf.platform.test"}}, "v=spf1 include:_spf.platform.test -all", 0, ""},
	} {
		m, err := MergeRecord(tc.in, tc.opts)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if m.Record != tc.want || len(m.Added) != tc.added || m.AllFrom != tc.allFrom {
			t.Errorf("%s: MergeRecord(%q) = %+v, want %q (%d added, all from %q)", tc.name, tc.in, m, tc.want, tc.added, tc.allFrom)
		}
		if m.Changed() != (tc.added > 0 || tc.allFrom != "" || len(m.Qualified) > 0) {
			t.Errorf("%s: Changed() = %v", tc.name, m.Changed())
		}
	}
	var se *SyntaxError
	if _, err := MergeRecord("v=spf1 ip4:192.0.2.300 -all", MergeOptions{}); !errors.As(err, &se) {
		t.Errorf("a broken record: %v", err)
	}
	var be *BuildError
	if _, err := MergeRecord("v=spf1 -all", MergeOptions{All: "+all"}); !errors.As(err, &be) {
		t.Errorf("+all: %v", err)
	}
	if _, err := MergeRecord("v=spf1 -all", MergeOptions{Includes: []string{"bad..name"}}); !errors.As(err, &be) {
		t.Errorf("a bad include: %v", err)
	}
}

func TestIncludesAndProtect(t *testing.T) {
	f := dnstest.NewFake(`
tenant.test. 300 IN TXT "v=spf1 include:_spf.tenant.test include:_spf.big.test include:_spf.big2.test -all"
_spf.tenant.test. 300 IN TXT "v=spf1 include:_spf.platform.test ~all"
_spf.platform.test. 300 IN TXT "v=spf1 include:_p1.platform.test include:_p2.platform.test include:_p3.platform.test -all"
_p1.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
_p2.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.2 -all"
_p3.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.3 -all"
_spf.big.test. 300 IN TXT "v=spf1 a:x.big.test a:y.big.test a:z.big.test -all"
_spf.big2.test. 300 IN TXT "v=spf1 a:x.big.test a:y.big.test -all"
x.big.test. 300 IN A 192.0.2.10
y.big.test. 300 IN A 192.0.2.11
z.big.test. 300 IN A 192.0.2.12
`)
	a, err := Analyze(context.Background(), f, "tenant.test", AnalyzeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Includes("_spf.platform.test") || !a.Includes("include:_spf.big.test") || a.Includes("_spf.other.test") {
		t.Error("Includes: the platform's include is reached through the tenant's own")
	}
	if a.Lookups != 12 {
		t.Fatalf("lookups = %d", a.Lookups)
	}
	a.ProtectIncludes([]string{"_spf.tenant.test", "_spf.platform.test"}, 0)
	var fix string
	for _, f := range a.Findings {
		if f.Code == FindLookupLimit.Code {
			fix = f.Fix
		}
	}
	for _, want := range []string{"reduce the lookups at tenant.test by 2", "include:_spf.big.test costs 4", "--flatten include:_spf.big.test --flatten include:_spf.big2.test", "keep include:_spf.tenant.test"} {
		if !strings.Contains(fix, want) {
			t.Errorf("fix %q lacks %q", fix, want)
		}
	}
	if strings.Contains(fix, "flatten include:_spf.tenant.test") {
		t.Errorf("the protected include is offered for flattening: %q", fix)
	}
	rec, _ := Parse("v=spf1 include:_spf.platform.test +include:a.test include:%{d}.m.test mx -all")
	if got := FlattenableIncludes(rec, []string{"_spf.platform.test"}); strings.Join(got, ",") != "a.test" {
		t.Errorf("FlattenableIncludes = %v", got)
	}
	if !IsProtected("+include:_SPF.platform.test", []string{"include:_spf.platform.test."}) || IsProtected("mx", []string{"mx"}) {
		t.Error("IsProtected")
	}
}
