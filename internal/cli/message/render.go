package message

import (
	"strings"

	"github.com/penguinmails/emailauth/pkg/report"
)

// cell is one cell of a table: text from anywhere, made safe when laid out,
// in a style of the Term's colour scheme.
type cell struct {
	text  string
	style report.Style
}

func plain(s string) cell { return cell{text: s} }

// table lays out rows of cells in columns for the Term. Unlike a
// tabwriter, it measures each cell as the Term shows it (escaped) and in
// display columns, so hostile or wide text cannot skew the columns.
type table struct{ rows [][]cell }

// row adds a row; its last cell is neither padded nor counted in its
// column's width (a reason may be long).
func (tb *table) row(cells ...cell) { tb.rows = append(tb.rows, cells) }

// line adds a line of its own (an Authentication-Results header).
func (tb *table) line(s string) { tb.row(plain(s)) }

// oneLine is a cell's text as shown: on one line, made safe.
func oneLine(s string) string {
	return report.Safe(strings.ReplaceAll(s, "\n", `\n`))
}

// write writes the rows to t, columns two spaces apart.
func (tb *table) write(t *report.Term) {
	var widths []int
	for _, r := range tb.rows {
		for i := 0; i < len(r)-1; i++ {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], report.Width(oneLine(r[i].text)))
		}
	}
	for _, r := range tb.rows {
		var format strings.Builder
		args := make([]any, 0, len(r))
		for i, c := range r {
			text := oneLine(c.text)
			format.WriteString("%s")
			if c.style == report.StylePlain {
				args = append(args, text)
			} else {
				args = append(args, t.Style(c.style, text))
			}
			if i < len(r)-1 {
				format.WriteString(strings.Repeat(" ", widths[i]-report.Width(text)+2))
			}
		}
		format.WriteString("\n")
		t.Printf(format.String(), args...)
	}
}
