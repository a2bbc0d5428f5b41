package message

import "github.com/penguinmails/emailauth/pkg/report"

// table collects the rows of verify's report and lays them out with
// report.Columns: measured as the Term shows them (escaped, in display
// columns), so hostile or wide text cannot skew the columns.
type table struct{ rows [][]report.Cell }

// row adds a row; its last cell is neither padded nor counted in its
// column's width (a reason may be long).
func (tb *table) row(cells ...report.Cell) { tb.rows = append(tb.rows, cells) }

// line adds a line of its own (an Authentication-Results header).
func (tb *table) line(s string) { tb.row(report.Text(s)) }

// write writes the rows to t, columns two spaces apart.
func (tb *table) write(t *report.Term) { report.Columns(t, tb.rows, 2) }
