package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// fuzzDomain is a failing domain whose every text field comes from the
// fuzzer.
func fuzzDomain(domain, record, message, fix, name string) *check.DomainResult {
	return &check.DomainResult{Domain: domain, Status: check.StatusFail, Checks: []*check.CheckResult{
		{Check: "spf", Status: check.StatusFail, Records: []string{record},
			Findings: finding.List{
				{Code: "spf.fuzz", Severity: finding.Error, Message: message, Fix: fix, Name: name},
				{Code: "spf.fuzz-warning", Severity: finding.Warning, Message: fix, Fix: message},
			}},
		{Check: "dmarc", Status: check.StatusError, Error: message},
		{Check: "bimi", Status: check.StatusSkip, Error: record},
	}}
}

// FuzzRenderers feeds arbitrary text through every format and checks what
// each promises: JSON that decodes to the same text, CSV and XML that parse
// back, workflow commands that cannot be injected, markdown tables that keep
// their columns, well-formed HTML with nothing of the data's own, and a table
// without control characters.
func FuzzRenderers(f *testing.F) {
	f.Add("example.com", "v=spf1 -all", "a | b `c` <d> & 100%", "=cmd|' /C calc'!A0", "s1._domainkey.example.com")
	f.Add("x\n::set-env name=A::B", "\x1b]0;t\x07", "]]><!--", "'=x\r\n-y", "a,b:c")
	f.Add("", "", "", "", "")
	f.Add("\xff\xfe", "\u202e\u2028", "```", "````\n```", "\\u003c")
	f.Fuzz(func(t *testing.T, domain, record, message, fix, name string) {
		d := fuzzDomain(domain, record, message, fix, name)
		r := &check.Report{Domains: []*check.DomainResult{d}, Summary: check.Summary{Domains: 1, Fail: 1}}

		// json and jsonl decode back to the text (invalid UTF-8 aside).
		for _, format := range []string{"json", "jsonl"} {
			out := render(t, format, r, Options{})
			var back check.DomainResult
			if format == "json" {
				var rep check.Report
				if err := json.Unmarshal(out, &rep); err != nil {
					t.Fatalf("json: %v", err)
				}
				back = *rep.Domains[0]
			} else if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("jsonl: %v", err)
			}
			if allValid(domain, record, message, fix, name) &&
				(back.Domain != domain || back.Checks[0].Records[0] != record || back.Checks[0].Findings[0].Message != message ||
					back.Checks[0].Findings[0].Fix != fix || back.Checks[0].Findings[0].Name != name) {
				t.Fatalf("%s did not round-trip: %+v", format, back.Checks[0])
			}
			if format == "jsonl" && bytes.Count(out, []byte("\n")) != 1 {
				t.Fatalf("jsonl: %d lines", bytes.Count(out, []byte("\n")))
			}
		}

		// csv parses back; dropping the guard gives the text made safe for
		// a terminal.
		rd := csv.NewReader(bytes.NewReader(render(t, "csv", r, Options{})))
		rd.FieldsPerRecord = len(CSVHeader)
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		if len(rows) != 5 {
			t.Fatalf("csv: %d rows", len(rows))
		}
		csvNorm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		if allValid(domain, message, fix, name) {
			got := []string{unguardCSV(rows[1][0]), unguardCSV(rows[1][6]), unguardCSV(rows[1][7]), unguardCSV(rows[1][8])}
			want := []string{printable(csvNorm(domain)), printable(csvNorm(message)), printable(csvNorm(fix)), printable(csvNorm(name))}
			for i := range got {
				if got[i] != want[i] && !(strings.HasPrefix(want[i], "\r") || strings.Contains(want[i], "\r")) {
					t.Fatalf("csv field %d: %q, want %q", i, got[i], want[i])
				}
			}
		}
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("csv cell %q starts a formula", cell)
				}
			}
		}

		// junit is well-formed XML.
		for _, failOn := range []finding.Severity{finding.Error, finding.Warning} {
			out := render(t, "junit", r, Options{FailOn: failOn})
			dec := xml.NewDecoder(bytes.NewReader(out))
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("junit: %v\n%s", err, out)
				}
			}
		}

		// github: only our own commands start a line.
		var sum bytes.Buffer
		out := render(t, "github", r, Options{Verbose: true, StepSummary: &sum})
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "::group::"), l == "::endgroup::", strings.HasPrefix(l, "emailauth: "):
			case strings.HasPrefix(l, "::"):
				if ghCommand.FindStringSubmatch(l) == nil {
					t.Fatalf("github: unexpected command %q", l)
				}
			default:
				if r, _ := utf8.DecodeRuneInString(l); !strings.ContainsRune("✓!✗?-", r) {
					t.Fatalf("github: unexpected line %q", l)
				}
			}
		}

		// markdown: every table row has its table's columns.
		for _, md := range [][]byte{sum.Bytes(), render(t, "markdown", r, Options{Verbose: true}), render(t, "markdown", r, Options{Summary: true})} {
			inTable, inFence, cols := false, "", 0
			for _, l := range strings.Split(string(md), "\n") {
				if inFence != "" {
					if l == inFence {
						inFence = ""
					}
					continue
				}
				if strings.HasPrefix(l, "```") {
					inFence = strings.TrimRight(l, "tex")
					continue
				}
				if !strings.HasPrefix(l, "|") {
					inTable = false
					continue
				}
				if !inTable {
					inTable, cols = true, unescapedPipes(l)
				} else if n := unescapedPipes(l); n != cols {
					t.Fatalf("markdown: row with %d separators, want %d: %q", n, cols, l)
				}
			}
			if inFence != "" {
				t.Fatalf("markdown: fence %q not closed", inFence)
			}
		}

		// html: well-formed, only the format's own elements and attributes,
		// no control characters, and the record shown as text.
		for _, opts := range []Options{{}, {Summary: true, Verbose: true}} {
			root := checkHTML(t, render(t, "html", r, opts))
			if !opts.Summary && !strings.Contains(text(root), oneLine(printable(record))) {
				t.Fatalf("html: record %q not shown", record)
			}
		}

		// table: no control characters but newlines, valid UTF-8.
		for _, opts := range []Options{{}, {Verbose: true, Width: 40}, {Summary: true}} {
			out := render(t, "table", r, opts)
			if !utf8.Valid(out) {
				t.Fatalf("table: invalid UTF-8")
			}
			for _, c := range string(out) {
				if c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 && c < 0xa0 || isBidi(c) {
					t.Fatalf("table: control character %U in output", c)
				}
			}
		}
	})
}

func allValid(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
