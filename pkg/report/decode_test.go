package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// readAll decodes stored inputs in order into a merged report.
func readAll(t testing.TB, order string, inputs ...[]byte) *check.Report {
	t.Helper()
	var m Merge
	for i, in := range inputs {
		st, err := Decode(bytes.NewReader(in), ReadOptions{}, func(d *check.DomainResult) error { m.Add(d); return nil })
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		m.AddNotChecked(st.NotChecked)
	}
	r, err := m.Report(order)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// renderOpts are the option sets the round trip renders every format with.
var renderOpts = []Options{{}, {Verbose: true}, {FailOn: finding.Warning, Verbose: true}, {Summary: true}, {Only: finding.StatusWarn}, {Color: true}}

// TestRoundTrip: every format rendered from a stored json report, from its
// jsonl, and from jsonl shards merged, is byte for byte the format rendered
// from the live result; details come back as the bytes they were stored as.
func TestRoundTrip(t *testing.T) {
	live := sampleReport()
	storedJSON := render(t, "json", live, Options{})
	storedJSONL := render(t, "jsonl", live, Options{})
	lines := strings.SplitAfter(string(storedJSONL), "\n")
	shardA := []byte(strings.Join(lines[:2], ""))
	shardB := []byte(strings.Join(lines[2:], ""))
	// A compact whole report on one line (jq -c) is read too.
	var compact bytes.Buffer
	if err := json.Compact(&compact, storedJSON); err != nil {
		t.Fatal(err)
	}
	compact.WriteByte('\n')
	for name, inputs := range map[string][][]byte{
		"json":            {storedJSON},
		"jsonl":           {storedJSONL},
		"shards":          {shardA, shardB},
		"json-compact":    {compact.Bytes()},
		"json-then-jsonl": {storedJSON, storedJSONL}, // every domain again: the later wins, in its first place
	} {
		t.Run(name, func(t *testing.T) {
			stored := readAll(t, SortInput, inputs...)
			if stored.Summary != live.Summary {
				t.Errorf("summary %+v, live %+v", stored.Summary, live.Summary)
			}
			for _, format := range Formats {
				for _, opts := range renderOpts {
					var sum1, sum2 bytes.Buffer
					o1, o2 := opts, opts
					if format == "github" {
						o1.StepSummary, o2.StepSummary = &sum1, &sum2
					}
					want := render(t, format, live, o1)
					got := render(t, format, stored, o2)
					if !bytes.Equal(got, want) {
						t.Errorf("%s %+v from stored %s differs from live:\n%s\n--- live:\n%s", format, opts, name, got, want)
					}
					if !bytes.Equal(sum1.Bytes(), sum2.Bytes()) {
						t.Errorf("github step summary from stored %s differs", name)
					}
				}
			}
		})
	}
}

// TestRoundTripDetails: details of every shape survive as stored, key order
// and numbers included, through json and jsonl and back.
func TestRoundTripDetails(t *testing.T) {
	type tree struct {
		Zeta  int     `json:"zeta"`
		Alpha float64 `json:"alpha"`
		Text  string  `json:"text"`
	}
	for _, details := range []any{
		tree{Zeta: 2, Alpha: 1.5e-9, Text: "<b> & \"q\" \u2028 \x1b"},
		map[string]any{"b": []any{1, "x", nil, true}, "a": map[string]any{}},
		[]int{},
		"a string",
		12345678901234567,
	} {
		d := &check.DomainResult{Domain: "details.example", Status: check.StatusPass, Checks: []*check.CheckResult{{Check: "spf", Status: check.StatusPass, Details: details}}}
		live := &check.Report{Domains: []*check.DomainResult{d}, Summary: check.Summary{Domains: 1, Pass: 1}}
		for _, format := range []string{"json", "jsonl"} {
			stored := readAll(t, "", render(t, format, live, Options{}))
			for _, again := range []string{"json", "jsonl"} {
				if got, want := render(t, again, stored, Options{}), render(t, again, live, Options{}); !bytes.Equal(got, want) {
					t.Errorf("details %T through %s then %s:\n%s\nwant\n%s", details, format, again, got, want)
				}
			}
		}
	}
}

// TestMergeNewestWins: a domain given again replaces its earlier result
// (later file, later line), in the place where it first appeared.
func TestMergeNewestWins(t *testing.T) {
	old := `{"domain":"a.example","status":"fail","checks":[{"check":"spf","status":"fail","records":[],"findings":[],"details":{}}]}
{"domain":"b.example","status":"pass","checks":[]}
`
	newer := `{"domain":"A.example.","status":"pass","checks":[{"check":"spf","status":"pass","records":["v=spf1 -all"],"findings":[],"details":{}}]}
{"domain":"c.example","status":"warn","checks":[]}
{"domain":"c.example","status":"error","checks":[]}
`
	r := readAll(t, SortInput, []byte(old), []byte(newer))
	var got []string
	for _, d := range r.Domains {
		got = append(got, d.Domain+":"+string(d.Status))
	}
	if strings.Join(got, " ") != "A.example.:pass b.example:pass c.example:error" {
		t.Errorf("merged: %v", got)
	}
	if r.Summary != (check.Summary{Domains: 3, Pass: 2, Error: 1}) {
		t.Errorf("summary %+v", r.Summary)
	}
	var m Merge
	for _, in := range []string{old, newer} {
		if _, err := Decode(strings.NewReader(in), ReadOptions{}, func(d *check.DomainResult) error { m.Add(d); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 3 || m.Replaced() != 2 {
		t.Errorf("Len %d, Replaced %d", m.Len(), m.Replaced())
	}
	// Orders.
	for order, want := range map[string]string{
		SortDomain: "A.example. b.example c.example",
		SortStatus: "c.example A.example. b.example",
	} {
		r, err := m.Report(order)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range r.Domains {
			names = append(names, d.Domain)
		}
		if strings.Join(names, " ") != want {
			t.Errorf("%s: %v", order, names)
		}
	}
	if _, err := m.Report("size"); err == nil {
		t.Error("an unknown order was accepted")
	}
}

// TestDecodeNotChecked: an interrupted stored run stays incomplete.
func TestDecodeNotChecked(t *testing.T) {
	live := sampleReport()
	live.Summary.NotChecked = 7
	r := readAll(t, "", render(t, "json", live, Options{}))
	if r.Summary.NotChecked != 7 || r.Summary.ExitCode(finding.Error) != finding.ExitFailed {
		t.Errorf("summary %+v", r.Summary)
	}
	r.Domains = r.Domains[:2] // pass and warn only
	r.Summary = check.Summary{NotChecked: 7}
	for _, d := range r.Domains {
		check.Count(&r.Summary, d)
	}
	if r.Summary.ExitCode(finding.Error) != finding.ExitIncomplete {
		t.Errorf("an interrupted run that passed exits %d", r.Summary.ExitCode(finding.Error))
	}
}

// TestDecodeErrors: damaged or foreign input is an error naming the line,
// never a panic, and fn's error is returned as it is.
func TestDecodeErrors(t *testing.T) {
	good := `{"domain":"a.example","status":"pass","checks":[]}`
	for name, c := range map[string]struct {
		in   string
		line int
		want string
	}{
		"not json":          {"hello\n", 1, `found 'h'`},
		"array":             {"\n\n[1,2]\n", 3, `found '['`},
		"bad status":        {good + "\n" + `{"domain":"b.example","status":"ok","checks":[]}`, 2, `unknown status "ok"`},
		"bad check status":  {`{"domain":"b.example","status":"pass","checks":[{"check":"spf","status":"green"}]}`, 1, `check spf: unknown status "green"`},
		"no domain":         {`{"status":"pass","checks":[]}`, 1, `without "domain"`},
		"no checks":         {`{"domain":"b.example","status":"pass"}`, 1, `no "checks"`},
		"null check":        {`{"domain":"b.example","status":"pass","checks":[null]}`, 1, `check 1 is null`},
		"bad severity":      {`{"domain":"b.example","status":"fail","checks":[{"check":"spf","status":"fail","findings":[{"code":"x.y","severity":"fatal","message":"m"}]}]}`, 1, `unknown severity "fatal"`},
		"wrong type":        {`{"domain":"b.example","status":"pass","checks":"none"}`, 1, `checks is a JSON string`},
		"truncated line":    {good + "\n" + `{"domain":"b.exa`, 2, `cut short`},
		"truncated doc":     {"{\n  \"schema\": \"emailauth.report/v1\",\n  \"domains\": [\n", 1, `cut short`},
		"other schema":      {"{\n  \"schema\": \"emailauth.report/v2\",\n  \"domains\": []\n}\n", 1, `schema "emailauth.report/v2"`},
		"not a report":      {"{\n  \"name\": \"x\"\n}\n", 1, `not a check report`},
		"indented domain":   {"{\n  \"domain\": \"a.example\"\n}\n", 1, `over several lines`},
		"syntax in doc":     {"{\n  \"schema\": \"emailauth.report/v1\",\n  \"domains\": [}\n", 1, `invalid character`},
		"domains not array": {`{"schema":"emailauth.report/v1","domains":{}}`, 1, `"domains" is not an array`},
		"second doc bad":    {"{\n\"schema\": \"emailauth.report/v1\",\n\"domains\": []\n}\n\n\nnope", 7, `found 'n'`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.in), ReadOptions{}, func(*check.DomainResult) error { return nil })
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrNotReport) {
				t.Fatalf("error %v (%T), want a *DecodeError", err, err)
			}
			if de.Line != c.line || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q at line %d, want %q at line %d", err, de.Line, c.want, c.line)
			}
		})
	}
	stop := errors.New("stop")
	if _, err := Decode(strings.NewReader(good), ReadOptions{}, func(*check.DomainResult) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}
	// A read error is returned as it is, not as bad input.
	_, err := Decode(iotest.ErrReader(io.ErrClosedPipe), ReadOptions{}, func(*check.DomainResult) error { return nil })
	if !errors.Is(err, io.ErrClosedPipe) || errors.Is(err, ErrNotReport) {
		t.Errorf("read error: %v", err)
	}
	_, err = Decode(io.MultiReader(strings.NewReader("{\n\"schema\": \"emailauth.report/v1\",\n\"domains\": [\n"), iotest.ErrReader(io.ErrClosedPipe)), ReadOptions{}, func(*check.DomainResult) error { return nil })
	if !errors.Is(err, io.ErrClosedPipe) || errors.Is(err, ErrNotReport) {
		t.Errorf("read error inside a document: %v", err)
	}
}

// TestDecodeBounds: a line, or a domain inside a document, past
// MaxLineBytes, and more domains than MaxDomains, are errors.
func TestDecodeBounds(t *testing.T) {
	big := `{"domain":"a.example","status":"pass","checks":[{"check":"spf","status":"pass","records":["` + strings.Repeat("x", 300<<10) + `"]}]}` + "\n"
	opts := ReadOptions{MaxLineBytes: 100 << 10}
	if _, err := Decode(strings.NewReader(big), opts, func(*check.DomainResult) error { return nil }); err == nil || !strings.Contains(err.Error(), "larger than") && !strings.Contains(err.Error(), "longer than") {
		t.Errorf("long line: %v", err)
	}
	if _, err := Decode(strings.NewReader(big), ReadOptions{}, func(*check.DomainResult) error { return nil }); err != nil {
		t.Errorf("a line under the default bound: %v", err)
	}
	doc := "{\n\"schema\": \"emailauth.report/v1\",\n\"domains\": [\n" + strings.TrimSpace(big) + "\n]\n}\n"
	if _, err := Decode(strings.NewReader(doc), opts, func(*check.DomainResult) error { return nil }); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big domain in a document: %v", err)
	}
	many := strings.Repeat(`{"domain":"a.example","status":"pass","checks":[]}`+"\n", 11)
	if _, err := Decode(strings.NewReader(many), ReadOptions{MaxDomains: 10}, func(*check.DomainResult) error { return nil }); err == nil || !strings.Contains(err.Error(), "more than 10") {
		t.Errorf("too many domains: %v", err)
	}
}

// TestDecodeLineNumbers: lines are counted across documents and lines, and
// a byte-order mark and CRLF line ends are accepted.
func TestDecodeLineNumbers(t *testing.T) {
	doc := string(render(t, "json", sampleReport(), Options{}))
	in := "\ufeff" + strings.ReplaceAll(doc, "\n", "\r\n") + doc + `{"domain":"x.example","status":"pass","checks":[]}` + "\n" + "bad\n"
	wantLine := 2*strings.Count(doc, "\n") + 2
	_, err := Decode(strings.NewReader(in), ReadOptions{}, func(*check.DomainResult) error { return nil })
	var de *DecodeError
	if !errors.As(err, &de) || de.Line != wantLine {
		t.Errorf("error %v, want one at line %d", err, wantLine)
	}
	st, err := Decode(strings.NewReader(strings.TrimSuffix(in, "bad\n")), ReadOptions{}, func(*check.DomainResult) error { return nil })
	if err != nil || st.Documents != 2 || st.Domains != 11 {
		t.Errorf("stored %+v, %v", st, err)
	}
}

// FuzzDecode: any input decodes or fails cleanly, and what decodes renders
// in every format.
func FuzzDecode(f *testing.F) {
	f.Add(render(f, "json", sampleReport(), Options{}))
	f.Add(render(f, "jsonl", sampleReport(), Options{}))
	f.Add([]byte(`{"schema":"emailauth.report/v1","domains":[{"domain":"a","status":"pass","checks":[]}]}`))
	f.Add([]byte("{\n\"domains\":[\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var m Merge
		_, err := Decode(bytes.NewReader(in), ReadOptions{MaxLineBytes: 1 << 16, MaxDomains: 1000}, func(d *check.DomainResult) error { m.Add(d); return nil })
		if err != nil {
			if !errors.Is(err, ErrNotReport) {
				t.Fatalf("error that is not ErrNotReport: %v", err)
			}
			return
		}
		r, err := m.Report(SortStatus)
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range Formats {
			var b bytes.Buffer
			if err := WriteReport(format, &b, r, Options{Verbose: true}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
	})
}
