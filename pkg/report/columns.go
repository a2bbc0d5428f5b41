package report

import (
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// Seg is a piece of text in a style.
type Seg struct {
	Text  string
	Style Style
}

// Cell is one cell of Columns: pieces of text, each in its style.
type Cell []Seg

// Text returns a cell of plain text.
func Text(s string) Cell { return Cell{{Text: s}} }

// Styles returns a cell of text in style st.
func Styles(st Style, s string) Cell { return Cell{{Text: s, Style: st}} }

// Row returns a row of plain cells.
func Row(texts ...string) []Cell {
	r := make([]Cell, len(texts))
	for i, s := range texts {
		r[i] = Text(s)
	}
	return r
}

// width is the cell's width in display columns once made safe (an ESC in a
// record is written as \x1b: four columns).
func (c Cell) width() int {
	w := 0
	for _, s := range c {
		w += Width(SafeLine(s.Text))
	}
	return w
}

// Columns writes rows in columns gap spaces apart, as text/tabwriter would,
// but measuring every cell in display columns after it is made safe and kept
// on its line (SafeLine), and writing it through the Term, so that styled
// pieces are coloured and everything else escaped. The last column is not
// padded. It is the layout of the commands' outlines (spf check's tree,
// dmarc's tables); bordered grids are Grid's.
func Columns(t *Term, rows [][]Cell, gap int) {
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
				if s.Style == StylePlain {
					args = append(args, SafeLine(s.Text))
				} else {
					args = append(args, t.Style(s.Style, SafeLine(s.Text)))
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

// WriteFindings writes findings most severe first, one per line with its
// severity coloured, and each fix under it. quiet (-q: results only) leaves
// out the info findings and the fixes. Messages and fixes are kept on their
// line (SafeLine).
func WriteFindings(t *Term, fs []finding.Finding, indent string, quiet bool) {
	sorted := append([]finding.Finding(nil), fs...)
	finding.Sort(sorted)
	if quiet {
		for _, x := range sorted {
			if x.Severity >= finding.Warning {
				t.Printf("%s%s %s: %s\n", indent, t.Style(SeverityStyle(x.Severity), x.Severity.String()), x.Code, SafeLine(x.Message))
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
		t.Printf("%s  %s %s: %s\n", indent, t.Style(SeverityStyle(x.Severity), x.Severity.String()), x.Code, SafeLine(x.Message))
		if x.Fix != "" {
			t.Printf("%s      fix: %s\n", indent, SafeLine(x.Fix))
		}
	}
}
