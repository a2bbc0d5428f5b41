package dmarc

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// Everything these commands print for people goes through the Term
// (f.IO.Term()), which escapes control characters, escape sequences,
// bidirectional controls and invalid UTF-8, and owns colour. DNS records and
// aggregate reports are written by strangers: a value that reaches a line of
// its own is also kept on one line (inline), so that it cannot forge a line
// of output.

// inline keeps s on one line: a line break becomes a visible \n. The Term
// escapes everything else.
func inline(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", `\r\n`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// display returns a domain for people: its A-label form, and the U-label
// form beside it when they differ ("xn--bcher-kva.example (bücher.example)").
func display(ascii string) string {
	return dns.Domain{ASCII: ascii, Unicode: dns.UnicodeName(ascii)}.Display()
}

// writeFindings writes findings most severe first, each with its fix. quiet
// leaves out info findings and fixes (-q: results only).
func writeFindings(t *report.Term, fs []finding.Finding, indent string, quiet bool) {
	sorted := append([]finding.Finding(nil), fs...)
	finding.Sort(sorted)
	if quiet {
		for _, x := range sorted {
			if x.Severity >= finding.Warning {
				t.Printf("%s%s %s: %s\n", indent, t.Style(report.SeverityStyle(x.Severity), x.Severity.String()), x.Code, inline(x.Message))
			}
		}
		return
	}
	if len(sorted) == 0 {
		t.Printf("%sfindings: none\n", indent)
		return
	}
	t.Printf("%sfindings:\n", indent)
	for _, x := range sorted {
		t.Printf("%s  %s %s: %s\n", indent, t.Style(report.SeverityStyle(x.Severity), x.Severity.String()), x.Code, inline(x.Message))
		if x.Fix != "" {
			t.Printf("%s    fix: %s\n", indent, inline(x.Fix))
		}
	}
}

// cell is a table cell: text from anywhere, and its style.
type cell struct {
	text  string
	style report.Style
}

// plain returns unstyled cells.
func plain(texts ...string) []cell {
	cs := make([]cell, len(texts))
	for i, s := range texts {
		cs[i] = cell{text: s}
	}
	return cs
}

// writeTable writes rows as columns two spaces apart. Each cell is made
// safe for a terminal and kept on one line first, then measured in display
// columns (report.Width): a wide character takes two, an escaped control
// character as many as its escape.
func writeTable(t *report.Term, rows [][]cell) {
	var widths []int
	texts := make([][]string, len(rows))
	for i, row := range rows {
		texts[i] = make([]string, len(row))
		for j, c := range row {
			s := inline(report.Safe(c.text))
			texts[i][j] = s
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], report.Width(s))
		}
	}
	for i, row := range rows {
		last := len(row) - 1 // no padding after the last non-empty cell
		for last > 0 && texts[i][last] == "" {
			last--
		}
		var format strings.Builder
		args := make([]any, 0, len(row))
		for j, c := range row[:last+1] {
			format.WriteString("%s")
			if c.style == report.StylePlain {
				args = append(args, texts[i][j])
			} else {
				args = append(args, t.Style(c.style, texts[i][j]))
			}
			if j < last {
				format.WriteString(strings.Repeat(" ", widths[j]-report.Width(texts[i][j])+2))
			}
		}
		format.WriteString("\n")
		t.Printf(format.String(), args...)
	}
}

// writeJSON writes v as indented JSON (cmdutil.WriteJSON), with the
// characters encoding/json leaves as they are but a terminal acts on
// escaped as well: DEL, the C1 controls and the bidirectional formatting
// characters (jsonSafe).
//
// TODO(shared): this belongs in cmdutil.WriteJSON, for every command.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	if err := cmdutil.WriteJSON(&buf, v); err != nil {
		return err
	}
	if _, err := w.Write(jsonSafe(buf.Bytes())); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// jsonSafe escapes DEL, C1 controls (U+0080 to U+009F: U+009B is a CSI to
// some terminals) and bidirectional formatting characters as \uXXXX. JSON
// outside its strings is ASCII without any of them, so escaping every
// occurrence keeps the document valid and its meaning unchanged.
// encoding/json has already escaped the C0 controls and replaced invalid
// UTF-8.
func jsonSafe(b []byte) []byte {
	clean := true
	for _, c := range b {
		if c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == 0x7f || r >= 0x80 && r <= 0x9f || isBidi(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// isBidi reports whether r is a bidirectional formatting character, which
// can make text read differently from what it is.
func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// csvCell makes a CSV cell safe: control characters, bidirectional
// controls and invalid UTF-8 are made visible as the Term shows them, and
// so are line breaks, which keep one record per line (a CSV file is read in
// terminals and by line-oriented tools as often as by CSV parsers); a cell
// that a spreadsheet would evaluate as a formula (it begins with = + - @,
// or an apostrophe, kept reversible) gets a leading apostrophe, the OWASP
// remedy.
//
// TODO(shared): pkg/report's csvCell guards formulas but is unexported and
// leaves control characters; one exported report.CSVCell doing both would
// serve every CSV writer.
func csvCell(s string) string {
	s = inline(report.Safe(s))
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
