package spf

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/report"
)

// seg is a piece of text in a style; a cell is a row of them.
type seg struct {
	text  string
	style report.Style
}

type cell []seg

func plain(s string) cell { return cell{{text: s}} }

// width is the cell's width in terminal columns, once made safe (an ESC in
// a record is written as \x1b: four columns).
func (c cell) width() int {
	w := 0
	for _, s := range c {
		w += report.Width(report.Safe(line(s.text)))
	}
	return w
}

// writeColumns lays out rows in columns separated by gap spaces, as
// text/tabwriter would, but measuring each cell in display columns after it
// is made safe, and writing it through the Term so that styled pieces are
// coloured and everything else is escaped. The last column is not padded;
// trailing blanks are not written.
func writeColumns(t *report.Term, rows [][]cell, gap int) {
	var widths []int
	for _, r := range rows {
		for i, c := range r[:max(len(r)-1, 0)] {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], c.width())
		}
	}
	for _, r := range rows {
		last := len(r) - 1
		for last >= 0 && r[last].width() == 0 {
			last--
		}
		var format strings.Builder
		var args []any
		for i := 0; i <= last; i++ {
			for _, s := range r[i] {
				format.WriteString("%s")
				if s.style == report.StylePlain {
					args = append(args, line(s.text))
				} else {
					args = append(args, t.Style(s.style, line(s.text)))
				}
			}
			if i < last {
				format.WriteString(strings.Repeat(" ", widths[i]-r[i].width()+gap))
			}
		}
		format.WriteString("\n")
		t.Printf(format.String(), args...)
	}
}

// line keeps text from the DNS on its line: a line break in a record, an
// explanation or an error (which the Term lets through, as it must for
// the layout's own newlines) is written as \x0a, so that it cannot start a
// line of its own that reads like a result ("result: pass").
func line(s string) string {
	if !strings.ContainsRune(s, '\n') {
		return s
	}
	return strings.ReplaceAll(s, "\n", `\x0a`)
}

// writeJSON writes v as cmdutil.WriteJSON does, then writes the C1 control
// characters (U+0080 to U+009F: U+009B is CSI to some terminals) and the
// bidirectional controls (U+202E...) that encoding/json leaves as they are
// as \u escapes, so that JSON shown on a terminal cannot drive it or
// reorder it either. Such characters can only occur inside JSON strings,
// where the escape means the same character: the document is unchanged.
//
// This belongs in cmdutil.WriteJSON, for every command; it is here until
// it moves there.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	if err := cmdutil.WriteJSON(&buf, v); err != nil {
		return err
	}
	b := buf.Bytes()
	if hasUnsafeRune(b) {
		var out bytes.Buffer
		for len(b) > 0 {
			r, n := utf8.DecodeRune(b)
			if unsafeRune(r) {
				fmt.Fprintf(&out, `\u%04x`, r)
			} else {
				out.Write(b[:n])
			}
			b = b[n:]
		}
		b = out.Bytes()
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

func hasUnsafeRune(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			for _, r := range string(b[i:]) {
				if unsafeRune(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// unsafeRune: C1 controls and bidirectional formatting characters.
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}
