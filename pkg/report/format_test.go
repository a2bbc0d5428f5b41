package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// normalizedReport is the sample as the json format should write it.
func normalizedReport() *check.Report {
	r := sampleReport()
	out := &check.Report{Schema: check.Schema, Summary: r.Summary, Domains: []*check.DomainResult{}}
	for _, d := range r.Domains {
		out.Domains = append(out.Domains, normalize(d))
	}
	return out
}

// TestJSONIsTheWholeDocument: the streamed document is byte for byte the
// whole report encoded at once, and decodes back to the report.
func TestJSONIsTheWholeDocument(t *testing.T) {
	got := render(t, "json", sampleReport(), Options{})
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalizedReport()); err != nil {
		t.Fatal(err)
	}
	if w := unescapeHTML(want.Bytes()); !bytes.Equal(got, w) {
		t.Errorf("streamed json differs from the whole document:\n%s\n---\n%s", got, w)
	}
	var back check.Report
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != check.Schema || len(back.Domains) != 5 || back.Summary != sampleReport().Summary {
		t.Errorf("decoded back: schema %q, %d domains, summary %+v", back.Schema, len(back.Domains), back.Summary)
	}
	if f := back.Domains[2].Checks[0].Findings[1]; f.Message != sampleReport().Domains[2].Checks[0].Findings[1].Message {
		t.Errorf("message did not survive: %q", f.Message)
	}
}

func TestJSONNeverNull(t *testing.T) {
	for _, f := range []string{"json", "jsonl"} {
		out := render(t, f, sampleReport(), Options{})
		if bytes.Contains(out, []byte("null")) {
			t.Errorf("%s output has a null:\n%s", f, out)
		}
	}
	// A typed nil in details is {} too.
	var nilMap map[string]int
	var nilPtr *struct{ A int }
	for _, details := range []any{nil, nilMap, nilPtr} {
		d := &check.DomainResult{Domain: "d.example", Status: check.StatusPass, Checks: []*check.CheckResult{{Check: "mx", Status: check.StatusPass, Details: details}}}
		var b bytes.Buffer
		w, _ := New("jsonl", &b, Options{})
		if err := w.WriteDomain(d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `"details":{}`) || !strings.Contains(b.String(), `"records":[]`) || !strings.Contains(b.String(), `"findings":[]`) {
			t.Errorf("details %#v: %s", details, b.String())
		}
	}
}

func TestJSONNoHTMLEscaping(t *testing.T) {
	out := render(t, "json", sampleReport(), Options{})
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if bytes.Contains(out, []byte(esc)) {
			t.Errorf("json has %s", esc)
		}
	}
	if !bytes.Contains(out, []byte(`<tag> &`)) {
		t.Error("json lost <tag> &")
	}
}

func TestUnescapeHTML(t *testing.T) {
	for _, s := range []string{"<>&", `\u003c`, `\\u003c`, `\`, `a\"<b`, "\u2028<", "<\\"} {
		b, _ := json.Marshal(s) // escapes HTML
		got := unescapeHTML(b)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("%q: %s -> %s -> %q, %v", s, b, got, back, err)
		}
		if bytes.Contains(got, []byte(`\u003c`)) && !strings.Contains(s, `u003c`) {
			t.Errorf("%q: still escaped: %s", s, got)
		}
	}
}

func TestJSONL(t *testing.T) {
	r := sampleReport()
	out := render(t, "jsonl", r, Options{})
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(r.Domains) {
		t.Fatalf("%d lines for %d domains", len(lines), len(r.Domains))
	}
	for i, l := range lines {
		var d check.DomainResult
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if d.Domain != r.Domains[i].Domain {
			t.Errorf("line %d is %s, want %s", i+1, d.Domain, r.Domains[i].Domain)
		}
	}
	// Shards concatenate: two runs' outputs are one stream.
	both := append(append([]byte(nil), out...), out...)
	if n := bytes.Count(both, []byte("\n")); n != 2*len(r.Domains) {
		t.Errorf("concatenated: %d lines", n)
	}
}

func TestCSVParsesBack(t *testing.T) {
	r := sampleReport()
	rd := csv.NewReader(bytes.NewReader(render(t, "csv", r, Options{})))
	rd.FieldsPerRecord = len(CSVHeader)
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], CSVHeader) {
		t.Fatalf("header %v", rows[0])
	}
	var want [][]string
	for _, d := range r.Domains {
		if len(d.Checks) == 0 {
			want = append(want, []string{d.Domain, string(d.Status), "", "", "", "", d.Error, "", ""})
		}
		for _, c := range d.Checks {
			if len(c.Findings) == 0 {
				want = append(want, []string{d.Domain, string(d.Status), c.Check, string(c.Status), "", "", c.Error, "", ""})
			}
			for _, f := range c.Findings {
				want = append(want, []string{d.Domain, string(d.Status), c.Check, string(c.Status), f.Code, f.Severity.String(), f.Message, f.Fix, f.Name})
			}
		}
	}
	rows = rows[1:]
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range rows {
		for j := range rows[i] {
			if got := unguardCSV(rows[i][j]); got != want[i][j] {
				t.Errorf("row %d %s: %q, want %q", i+1, CSVHeader[j], got, want[i][j])
			}
		}
	}
}

// unguardCSV is what docs/report.md tells consumers to do.
func unguardCSV(s string) string { return strings.TrimPrefix(s, "'") }

func TestCSVFormulaGuard(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-all": "'-all", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "'quoted": "''quoted",
		"v=spf1 -all": "v=spf1 -all", "": "", "a=b": "a=b", "ok.example": "ok.example",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
		if unguardCSV(csvCell(in)) != in {
			t.Errorf("unguard(csvCell(%q)) is not the input", in)
		}
	}
}

// The JUnit document, as a consumer reads it.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, b []byte) xSuites {
	t.Helper()
	// Well-formed, token by token (the decoder is strict by default).
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("junit is not well-formed XML: %v\n%s", err, b)
		}
	}
	var s xSuites
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJUnitParsesBack(t *testing.T) {
	r := sampleReport()
	for _, failOn := range []finding.Severity{finding.Error, finding.Warning} {
		s := parseJUnit(t, render(t, "junit", r, Options{FailOn: failOn}))
		if len(s.Suites) != len(r.Domains) {
			t.Fatalf("%d suites for %d domains", len(s.Suites), len(r.Domains))
		}
		var tests, failures, errs, skipped int
		for i, su := range s.Suites {
			d := r.Domains[i]
			if su.Name != d.Domain {
				t.Errorf("suite %d is %q", i, su.Name)
			}
			var f, e, sk int
			for j, c := range su.Cases {
				if c.Classname != "emailauth."+d.Domain {
					t.Errorf("%s: classname %q", d.Domain, c.Classname)
				}
				if c.Failure != nil {
					f++
				}
				if c.Error != nil {
					e++
				}
				if c.Skipped != nil {
					sk++
				}
				if len(d.Checks) == 0 {
					continue
				}
				ch := d.Checks[j]
				if c.Name != ch.Check {
					t.Errorf("%s: case %d is %q, want %q", d.Domain, j, c.Name, ch.Check)
				}
				wantFailure := ch.Status == check.StatusFail || ch.Status == check.StatusWarn && failOn == finding.Warning
				if (c.Failure != nil) != wantFailure || (c.Error != nil) != (ch.Status == check.StatusError) || (c.Skipped != nil) != (ch.Status == check.StatusSkip) {
					t.Errorf("%s %s (%s, fail on %s): failure %v error %v skipped %v", d.Domain, ch.Check, ch.Status, failOn, c.Failure != nil, c.Error != nil, c.Skipped != nil)
				}
				for _, fd := range ch.Findings {
					body := c.SystemOut
					if c.Failure != nil {
						body = c.Failure.Body
					}
					if !strings.Contains(body, fd.Message) || !strings.Contains(body, fd.Code) {
						t.Errorf("%s %s: finding %s not in %q", d.Domain, ch.Check, fd.Code, body)
					}
				}
			}
			if su.Tests != len(su.Cases) || su.Failures != f || su.Errors != e || su.Skipped != sk {
				t.Errorf("%s: counts %d/%d/%d/%d, cases say %d/%d/%d/%d", d.Domain, su.Tests, su.Failures, su.Errors, su.Skipped, len(su.Cases), f, e, sk)
			}
			tests, failures, errs, skipped = tests+su.Tests, failures+su.Failures, errs+su.Errors, skipped+su.Skipped
		}
		if s.Tests != tests || s.Failures != failures || s.Errors != errs || s.Skipped != skipped {
			t.Errorf("testsuites counts %d/%d/%d/%d, suites add up to %d/%d/%d/%d", s.Tests, s.Failures, s.Errors, s.Skipped, tests, failures, errs, skipped)
		}
		spf := s.Suites[2].Cases[0].Failure
		if spf == nil || spf.Type != "spf.lookup-limit" || strings.Contains(spf.Message, "(and ") != (failOn == finding.Warning) {
			t.Errorf("fail on %s: spf failure %+v", failOn, spf)
		}
	}
}

func TestJUnitHostileText(t *testing.T) {
	d := &check.DomainResult{Domain: "x.example", Status: check.StatusFail, Checks: []*check.CheckResult{{
		Check: "spf", Status: check.StatusFail,
		Records: []string{"v=spf1 \x00\x01\x1b]]>" + "\xff -all"},
		Findings: finding.List{{Code: "spf.x", Severity: finding.Error,
			Message: "]]> <!-- & \"' \x0b \ufffe", Fix: "<![CDATA[ x ]]>"}},
	}}}
	s := parseJUnit(t, render(t, "junit", &check.Report{Domains: []*check.DomainResult{d}}, Options{}))
	if f := s.Suites[0].Cases[0].Failure; f == nil || !strings.Contains(f.Body, "<![CDATA[ x ]]>") || !strings.Contains(f.Message, "]]> <!-- &") {
		t.Errorf("failure %+v", f)
	}
}

var ghCommand = regexp.MustCompile(`^::(error|warning|notice) title=([^:]*)::(.*)$`)

func ghUnescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// TestGitHubCommands: every line is a command we meant, a check line or the
// summary, and every annotation decodes to the finding's text.
func TestGitHubCommands(t *testing.T) {
	r := sampleReport()
	r.Domains[2].Checks[0].Findings = append(r.Domains[2].Checks[0].Findings, finding.Finding{
		Code: "spf.inject", Severity: finding.Error,
		Message: "x\n::set-env name=A::B\r\n::add-mask::y",
		Fix:     "100%0A literal, title: a, b",
		Name:    "a,b:c.example"})
	out := render(t, "github", r, Options{Verbose: true})
	type ann struct{ level, title, msg string }
	var anns []ann
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "::group::"), l == "::endgroup::", strings.HasPrefix(l, "emailauth: "):
		case strings.HasPrefix(l, "::"):
			m := ghCommand.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("unexpected command line %q", l)
			}
			anns = append(anns, ann{m[1], ghUnescape(m[2]), ghUnescape(m[3])})
		default:
			if r, _ := utf8.DecodeRuneInString(l); !strings.ContainsRune("✓!✗?-", r) {
				t.Errorf("unexpected line %q", l)
			}
		}
	}
	want := map[string]ann{}
	for _, d := range r.Domains {
		for _, c := range d.Checks {
			for _, f := range c.Findings {
				level := map[finding.Severity]string{finding.Error: "error", finding.Warning: "warning", finding.Info: "notice"}[f.Severity]
				msg := f.Message
				if f.Name != "" {
					msg += "\nname: " + f.Name
				}
				if f.Fix != "" {
					msg += "\nfix: " + f.Fix
				}
				want[d.Domain+" "+f.Code] = ann{level, d.Domain + " " + f.Code, strings.ReplaceAll(msg, "\r\n", "\n")}
			}
		}
	}
	found := 0
	for _, a := range anns {
		if w, ok := want[a.title]; ok {
			found++
			if a != w {
				t.Errorf("annotation\n got %+v\nwant %+v", a, w)
			}
		}
	}
	if found != len(want) {
		t.Errorf("%d of %d findings annotated", found, len(want))
	}
}

func TestGitHubFailOnWarning(t *testing.T) {
	out := string(render(t, "github", sampleReport(), Options{FailOn: finding.Warning}))
	if strings.Contains(out, "::warning") || !strings.Contains(out, "::error title=warn.example dmarc.policy-none::") {
		t.Errorf("with FailOn warning, warnings should be errors:\n%s", out)
	}
	if strings.Contains(out, "::notice") {
		t.Error("info findings annotated without Verbose")
	}
}

func TestGHEscape(t *testing.T) {
	if got := ghData("100%\r\nx:y,z"); got != "100%25%0D%0Ax:y,z" {
		t.Errorf("ghData: %q", got)
	}
	if got := ghProperty("100%\r\nx:y,z"); got != "100%25%0D%0Ax%3Ay%2Cz" {
		t.Errorf("ghProperty: %q", got)
	}
}

// unescapedPipes counts the | of a markdown table row that split cells.
func unescapedPipes(l string) int {
	n := 0
	for i := 0; i < len(l); i++ {
		if l[i] == '\\' {
			i++
			continue
		}
		if l[i] == '|' {
			n++
		}
	}
	return n
}

func TestMarkdownTables(t *testing.T) {
	r := sampleReport()
	r.Domains[2].Checks[0].Records[0] = "v=spf1 | `x` || -all"
	r.Domains[2].Domain = "pipe|fail.example"
	out := string(render(t, "markdown", r, Options{Verbose: true}))
	inTable, cols := false, 0
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			inTable = false
			continue
		}
		if !inTable {
			inTable, cols = true, unescapedPipes(l)
			continue
		}
		if n := unescapedPipes(l); n != cols {
			t.Errorf("row with %d cell separators, header has %d: %s", n, cols, l)
		}
	}
	if !strings.Contains(out, "pipe\\|fail.example") {
		t.Error("domain not escaped")
	}
	if !strings.Contains(out, "````text\n=HYPERLINK") {
		t.Error("the fix with a ``` line is not in a longer fence")
	}
}

func TestMDCode(t *testing.T) {
	for in, want := range map[string]string{
		"v=spf1 -all": "`v=spf1 -all`",
		"a`b":         "``a`b``",
		"`a`":         "`` `a` ``",
		" a ":         "`  a  `",
		"a\nb":        "`a b`",
		"":            "",
	} {
		if got := mdCode(in, false); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCode("a|b", true); got != "`a\\|b`" {
		t.Errorf("in a table: %q", got)
	}
	if got := mdText("*a* _b_ [c](d) <e> & `f` | # ~g~ $h$"); got != `\*a\* \_b\_ \[c\](d) \<e\> \& \`+"`"+`f\`+"`"+` \| \# \~g\~ \$h\$` {
		t.Errorf("mdText: %s", got)
	}
}

func TestMarkdownLimit(t *testing.T) {
	r := sampleReport()
	full := render(t, "markdown", r, Options{})
	if got := render(t, "markdown", r, Options{MarkdownMaxBytes: len(full)}); !bytes.Equal(got, full) {
		t.Error("a document that fits was cut")
	}
	for _, limit := range []int{len(full) - 1, 1500, 900, 700} {
		got := render(t, "markdown", r, Options{MarkdownMaxBytes: limit})
		if len(got) > limit || !bytes.Contains(got, []byte("**Truncated**")) {
			t.Errorf("limit %d: %d bytes:\n%s", limit, len(got), got)
		}
	}
	// The step summary is held under GitHub's limit by default.
	var sum bytes.Buffer
	big := &check.Report{}
	for i := 0; i < 3000; i++ {
		big.Domains = append(big.Domains, r.Domains[2])
	}
	render(t, "github", big, Options{StepSummary: &sum})
	if sum.Len() > stepSummaryMaxBytes || !bytes.Contains(sum.Bytes(), []byte("**Truncated**")) {
		t.Errorf("step summary of 3000 failing domains: %d bytes", sum.Len())
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9]+m")

func TestTableNoTerminalEscapes(t *testing.T) {
	plain := render(t, "table", sampleReport(), Options{Verbose: true})
	if bytes.ContainsRune(plain, 0x1b) || bytes.ContainsRune(plain, 0x07) {
		t.Error("plain table output has a control character")
	}
	color := render(t, "table", sampleReport(), Options{Color: true, Verbose: true})
	if rest := ansi.ReplaceAll(color, nil); bytes.ContainsRune(rest, 0x1b) {
		t.Error("colour table output has an escape that is not ours")
	}
	if !bytes.Equal(ansi.ReplaceAll(color, nil), plain) {
		t.Error("colour output is not the plain output plus colours")
	}
	if !utf8.Valid(plain) {
		t.Error("table output is not UTF-8")
	}
}

func TestTableWidth(t *testing.T) {
	for _, width := range []int{60, 100, 140} {
		out := render(t, "table", sampleReport(), Options{Width: width})
		for _, l := range strings.Split(string(out), "\n") {
			if utf8.RuneCountInString(l) <= width {
				continue
			}
			// Only an unbreakable value (a record, a quoted span) may overflow.
			if !strings.Contains(l, "v=") {
				t.Errorf("width %d: line of %d: %q", width, utf8.RuneCountInString(l), l)
			}
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap(`publish at _dmarc.example.com: "v=DMARC1; p=reject; rua=mailto:d@example.com" then wait`, 30)
	want := []string{"publish at _dmarc.example.com:", `"v=DMARC1; p=reject; rua=mailto:d@example.com"`, "then wait"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wrap:\n got %q\nwant %q", got, want)
	}
	long := "v=spf1 include:a.example include:b.example include:c.example -all"
	if got := wrap("publish:\n"+long, 20); !reflect.DeepEqual(got, []string{"publish:", long}) {
		t.Errorf("a record line was broken: %q", got)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           "plain",
		"a\x1b[31mb":      `a\x1b[31mb`,
		"a\r\nb":          "a\nb",
		"tab\there":       "tab here",
		"bad\xffutf8":     "bad\ufffdutf8",
		"rtl\u202eevil":   `rtl\u{202e}evil`,
		"c1\u009bx":       `c1\u{009b}x`,
		"ünïcödé ✓":       "ünïcödé ✓",
		"del\x7f":         `del\x7f`,
		"line\u2028sep":   `line\u{2028}sep`,
		"keep\u200dzwj👍🏽": "keep\u200dzwj👍🏽",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGitHubAnnotationLimit: past GitHub's 10 annotations of a level per
// step, a notice says how many there were and where to see them.
func TestGitHubAnnotationLimit(t *testing.T) {
	r := bulkReport(20)
	out := string(render(t, "github", r, Options{StepSummary: &bytes.Buffer{}}))
	want := "::notice title=emailauth::24 error annotations: GitHub shows 10 of each level per step; the step summary and the log have all of them\n"
	if !strings.Contains(out, want) {
		t.Errorf("no notice of the annotation limit:\n%s", out[len(out)-400:])
	}
	if out := string(render(t, "github", sampleReport(), Options{})); strings.Contains(out, "::notice") {
		t.Error("a notice of the limit under the limit")
	}
}
