package report

import (
	"bytes"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	twrenderer "github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Grid writes a table of rows under a header, aligned in display columns
// (github.com/olekukonko/tablewriter measures East Asian wide characters and
// emoji as two columns). It is for the grid tables of the commands (dmarc
// report, lookup, the records to publish, bulk summaries); the check report
// keeps its own outline layout. Every cell is made safe first, and no cell
// is wrapped or cut: record values must stay whole, to be copied.
//
// When w is a Term, the table goes through it.
func Grid(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(twrenderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleLight),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
		}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	t.Header(safeCells(header))
	for _, r := range rows {
		if err := t.Append(safeCells(r)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	// Trailing spaces of the last column help nobody.
	var out strings.Builder
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	if term, ok := w.(*Term); ok {
		return term.writeSafe(printable(out.String()))
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func safeCells(in []string) []any {
	out := make([]any, len(in))
	for i, s := range in {
		out[i] = SafeLine(s)
	}
	return out
}
