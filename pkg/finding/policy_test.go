package finding

import (
	"errors"
	"strings"
	"testing"
)

func TestPolicyAdjust(t *testing.T) {
	var c Catalog
	e := c.Define(Spec{Code: "spf.err", Severity: Error, Title: "t", Meaning: "m", Fix: "f"}).New("broken", "fix it")
	w := c.Define(Spec{Code: "spf.warn", Severity: Warning, Title: "t", Meaning: "m", Fix: "f"}).New("meh", "")
	i := c.Define(Spec{Code: "bimi.info", Severity: Info, Title: "t", Meaning: "m", Fix: "f"}).New("fyi", "")
	d := c.Define(Spec{Code: "spf.dns-error", Severity: Error, Transient: true, Title: "t", Meaning: "m", Fix: "f"}).New("timeout", "")
	bw := c.Define(Spec{Code: "bimi.warn", Severity: Warning, Title: "t", Meaning: "m", Fix: "f"}).New("no logo", "")

	for _, tc := range []struct {
		name        string
		p           Policy
		st          Status
		fs          []Finding
		want        Status
		kept, ignor int
	}{
		{"zero policy changes nothing", Policy{}, StatusFail, []Finding{e, w}, StatusFail, 2, 0},
		{"nothing matches: status kept", Policy{Ignore: []string{"dkim.x"}}, StatusSkip, []Finding{i}, StatusSkip, 1, 0},
		{"ignore the error", Policy{Ignore: []string{"spf.err"}}, StatusFail, []Finding{e, w}, StatusWarn, 1, 1},
		{"ignore a whole check", Policy{Ignore: []string{"bimi.*"}}, StatusWarn, []Finding{bw, i}, StatusPass, 0, 2},
		{"a prefix is not a check", Policy{Ignore: []string{"bim.*"}}, StatusWarn, []Finding{bw}, StatusWarn, 1, 0},
		{"lower an error to a warning", Policy{Severity: map[string]Severity{"spf.err": Warning}}, StatusFail, []Finding{e}, StatusWarn, 1, 0},
		{"raise a warning to an error", Policy{Severity: map[string]Severity{"spf.warn": Error}}, StatusWarn, []Finding{w}, StatusFail, 1, 0},
		{"waive an error", Policy{Waive: map[string]string{"spf.err": "until 2027-01-01: migrating"}}, StatusFail, []Finding{e}, StatusPass, 1, 0},
		{"a transient finding stays transient when lowered", Policy{Severity: map[string]Severity{"spf.dns-error": Info}}, StatusError, []Finding{d}, StatusError, 1, 0},
		{"ignoring the transient finding completes the work", Policy{Ignore: []string{"spf.dns-error"}}, StatusError, []Finding{d, w}, StatusWarn, 1, 1},
		{"work that did not complete stays error", Policy{Ignore: []string{"spf.warn"}}, StatusError, []Finding{w}, StatusError, 0, 1},
		{"a failure still beats incompleteness", Policy{Severity: map[string]Severity{"spf.warn": Error}}, StatusError, []Finding{w}, StatusFail, 1, 0},
		{"skipped work raised to a warning", Policy{Severity: map[string]Severity{"bimi.info": Warning}}, StatusSkip, []Finding{i}, StatusWarn, 1, 0},
	} {
		st, kept, ignored := tc.p.Adjust(tc.st, tc.fs)
		if st != tc.want || len(kept) != tc.kept || len(ignored) != tc.ignor {
			t.Errorf("%s: Adjust = %s, %d kept, %d ignored; want %s, %d, %d", tc.name, st, len(kept), len(ignored), tc.want, tc.kept, tc.ignor)
		}
	}

	// A waived finding says so, and the input is not changed.
	fs := []Finding{e}
	_, kept, _ := Policy{Waive: map[string]string{"spf.err": "reason"}}.Adjust(StatusFail, fs)
	if kept[0].Severity != Info || !strings.HasSuffix(kept[0].Message, "(waived: reason)") {
		t.Errorf("waived finding %+v", kept[0])
	}
	if fs[0].Severity != Error || fs[0].Message != "broken" {
		t.Errorf("Adjust changed its input: %+v", fs[0])
	}
}

func TestPolicyMerge(t *testing.T) {
	a := Policy{Ignore: []string{"a.x"}, Severity: map[string]Severity{"a.y": Warning, "a.z": Info}}
	b := Policy{Ignore: []string{"b.x"}, Severity: map[string]Severity{"a.y": Error}, Waive: map[string]string{"b.w": "n"}}
	m := a.Merge(b)
	if strings.Join(m.Ignore, ",") != "a.x,b.x" || m.Severity["a.y"] != Error || m.Severity["a.z"] != Info || m.Waive["b.w"] != "n" {
		t.Errorf("Merge = %+v", m)
	}
	if a.Severity["a.y"] != Warning {
		t.Error("Merge changed its receiver")
	}
	if !(Policy{}).Merge(Policy{}).IsZero() {
		t.Error("merging zero policies is not zero")
	}
}

func TestCheckCode(t *testing.T) {
	known := []string{"spf.lookup-limit", "spf.no-record", "dmarc.policy-none", "profile.dmarc-policy"}
	for _, ok := range []string{"spf.lookup-limit", "spf.*", "profile.*"} {
		if err := CheckCode(ok, known); err != nil {
			t.Errorf("CheckCode(%q) = %v", ok, err)
		}
	}
	for _, tc := range []struct{ code, near string }{
		{"spf.lookup-limt", `did you mean "spf.lookup-limit"`},
		{"dmarc.policy-non", `"dmarc.policy-none"`},
		{"spff.*", `"spf.*"`},
		{"nothing.like.it.at.all", ""},
	} {
		err := CheckCode(tc.code, known)
		var ue *UnknownCodeError
		if !errors.As(err, &ue) || ue.Code != tc.code {
			t.Fatalf("CheckCode(%q) = %v", tc.code, err)
		}
		if tc.near != "" && !strings.Contains(err.Error(), tc.near) {
			t.Errorf("CheckCode(%q) = %v, want %s", tc.code, err, tc.near)
		}
		if tc.near == "" && len(ue.Near) > 0 {
			t.Errorf("CheckCode(%q) suggests %v", tc.code, ue.Near)
		}
	}
}
