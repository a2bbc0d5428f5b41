package finding

import (
	"encoding/json"
	"testing"
)

func TestJudge(t *testing.T) {
	var c Catalog
	errSpec := c.Define(Spec{Code: "x.err", Severity: Error, Title: "t", Meaning: "m", Fix: "f"})
	warnSpec := c.Define(Spec{Code: "x.warn", Severity: Warning, Title: "t", Meaning: "m", Fix: "f"})
	infoSpec := c.Define(Spec{Code: "x.info", Severity: Info, Title: "t", Meaning: "m", Fix: "f"})
	dnsSpec := c.Define(Spec{Code: "x.dns-error", Severity: Error, Transient: true, Title: "t", Meaning: "m", Fix: "f"})
	unreach := c.Define(Spec{Code: "x.unverified", Severity: Warning, Transient: true, Title: "t", Meaning: "m", Fix: "f"})

	e, w, i, d, u := errSpec.New("", ""), warnSpec.New("", ""), infoSpec.New("", ""), dnsSpec.New("", ""), unreach.New("", "")
	if !d.Transient || e.Transient {
		t.Fatalf("Spec.New does not carry Transient: %+v %+v", d, e)
	}
	for _, tc := range []struct {
		name     string
		fs       []Finding
		complete bool
		want     Status
	}{
		{"nothing", nil, true, StatusPass},
		{"info", []Finding{i}, true, StatusPass},
		{"warning", []Finding{i, w}, true, StatusWarn},
		{"error", []Finding{w, e}, true, StatusFail},
		{"transient error alone", []Finding{d}, true, StatusError},
		{"transient warning alone", []Finding{u}, true, StatusError},
		{"transient beside a warning", []Finding{w, d}, true, StatusError},
		{"a definite failure beats a transient one", []Finding{d, e}, true, StatusFail},
		{"incomplete, nothing found", nil, false, StatusError},
		{"incomplete with a warning", []Finding{w}, false, StatusError},
		{"incomplete with a failure", []Finding{e}, false, StatusFail},
		{"a transient finding lowered to info still counts", []Finding{d.WithSeverity(Info)}, true, StatusError},
	} {
		if got := Judge(tc.fs, tc.complete); got != tc.want {
			t.Errorf("%s: Judge = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestRankAndWorst(t *testing.T) {
	for i := 1; i < len(Statuses); i++ {
		if Statuses[i-1].Rank() >= Statuses[i].Rank() {
			t.Errorf("%s ranks at or above %s", Statuses[i-1], Statuses[i])
		}
	}
	if got := Worst(StatusPass, StatusError, StatusWarn); got != StatusError {
		t.Errorf("Worst = %s", got)
	}
	if got := Worst(StatusError, StatusFail); got != StatusFail {
		t.Errorf("Worst = %s: a failure outranks an error", got)
	}
	if got := Worst(); got != StatusSkip {
		t.Errorf("Worst() = %s", got)
	}
	if Status("bogus").Valid() {
		t.Error("bogus is valid")
	}
	if s, err := ParseStatus(" WARN "); err != nil || s != StatusWarn {
		t.Errorf("ParseStatus = %s, %v", s, err)
	}
	if _, err := ParseStatus("ok"); err == nil {
		t.Error("ParseStatus(ok) succeeded")
	}
}

func TestTallyExitCode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ss      []Status
		invalid int
		missed  int
		failOn  Severity
		want    int
		status  Status
	}{
		{"empty", nil, 0, 0, Error, ExitOK, StatusSkip},
		{"pass and skip", []Status{StatusPass, StatusSkip}, 0, 0, Error, ExitOK, StatusPass},
		{"warn", []Status{StatusWarn}, 0, 0, Error, ExitOK, StatusWarn},
		{"warn, --fail-on warning", []Status{StatusWarn}, 0, 0, Warning, ExitFailed, StatusWarn},
		{"fail", []Status{StatusPass, StatusFail}, 0, 0, Error, ExitFailed, StatusFail},
		{"error", []Status{StatusError}, 0, 0, Error, ExitIncomplete, StatusError},
		{"failure beats incompleteness", []Status{StatusError, StatusFail}, 0, 0, Error, ExitFailed, StatusFail},
		{"invalid beats incompleteness", []Status{StatusError}, 1, 0, Error, ExitBadInput, StatusError},
		{"failure beats invalid", []Status{StatusFail}, 1, 0, Error, ExitFailed, StatusFail},
		{"not reached", []Status{StatusPass}, 0, 2, Error, ExitIncomplete, StatusError},
	} {
		var tl Tally
		for _, s := range tc.ss {
			tl.Add(s)
		}
		for i := 0; i < tc.invalid; i++ {
			tl.AddInvalid()
		}
		tl.NotChecked = tc.missed
		if got := tl.ExitCode(tc.failOn); got != tc.want {
			t.Errorf("%s: ExitCode = %d, want %d", tc.name, got, tc.want)
		}
		if got := tl.Status(); got != tc.status && tc.invalid == 0 {
			t.Errorf("%s: Status = %s, want %s", tc.name, got, tc.status)
		}
		if tc.invalid == 0 && tc.missed == 0 {
			if got := ExitCodeOf(tc.failOn, tc.ss...); got != tc.want {
				t.Errorf("%s: ExitCodeOf = %d, want %d", tc.name, got, tc.want)
			}
		}
	}
	var a, b Tally
	a.Add(StatusPass)
	b.Add(StatusFail)
	b.AddInvalid()
	a.Merge(b)
	if a.Domains != 3 || a.Fail != 1 || a.Invalid != 1 || a.Pass != 1 {
		t.Errorf("Merge: %+v", a)
	}
	j, _ := json.Marshal(Tally{Domains: 1, Pass: 1})
	if string(j) != `{"domains":1,"pass":1,"warn":0,"fail":0,"error":0,"invalid":0}` {
		t.Errorf("Tally JSON: %s", j)
	}
}

func TestSort(t *testing.T) {
	fs := []Finding{
		{Code: "a.info", Severity: Info},
		{Code: "a.dns", Severity: Error, Transient: true},
		{Code: "a.warn", Severity: Warning},
		{Code: "a.err", Severity: Error},
		{Code: "a.err2", Severity: Error},
	}
	Sort(fs)
	want := []string{"a.err", "a.err2", "a.dns", "a.warn", "a.info"}
	for i, f := range fs {
		if f.Code != want[i] {
			t.Fatalf("Sort: got %v at %d, want %v", f.Code, i, want)
		}
	}
}
