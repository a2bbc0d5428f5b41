package dmarc

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/report"
)

// ReportOptions are the inputs of "dmarc report".
type ReportOptions struct {
	Files     []string
	Limits    aggregate.Limits
	KeepGoing bool
}

// NewCmdReport returns "dmarc report".
func NewCmdReport(f *cmdutil.Factory, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{Limits: aggregate.DefaultLimits}
	var maxSize string
	cmd := &cobra.Command{
		Use:   "report FILE...",
		Short: "Summarize DMARC aggregate reports per source IP",
		Long: `Read DMARC aggregate reports and summarize them per sending IP address:
message volume, what receivers did (disposition), and the DMARC, aligned SPF
and aligned DKIM pass rates. Sources with the most failing messages come first.

Each FILE is an RFC 9990 or RFC 7489 XML report, a .gz or .zip of reports, or
an e-mail message (.eml) carrying one as an attachment; "-" reads standard
input. The format is recognized from the content, not the name. A report read
twice (same reporter and report ID) counts once.

Reports come from strangers: each file is limited to --max-size octets, and so
is the XML it expands to; zip archives may hold 32 files; XML with a DOCTYPE
is refused.

Report content is shown escaped: control characters, escape sequences and
bidirectional controls in it are made visible, in the table and in CSV cells
(which also never start a spreadsheet formula). -q prints the table only.

Exit 0, or 2 when a file is not a readable report (with --keep-going: a
warning, unless no file could be read).`,
		Example: `  emailauth dmarc report receiver.example!example.com!1790553600!1790639999.xml.gz
  emailauth dmarc report -o csv reports/*.zip > sources.csv
  emailauth dmarc report -o json --keep-going inbox/*.eml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseSize(maxSize)
			if err != nil {
				return cmdutil.BadInputHint("--max-size", err, "give a size such as 50MB, 512KB or 1GB")
			}
			opts.Limits.MaxInput, opts.Limits.MaxXML = n, n
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return runReport(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, "table", "json", "csv")
	cmd.Flags().StringVar(&maxSize, "max-size", "50MB", "the most octets read from a file, and the most XML it may expand to")
	cmd.Flags().BoolVar(&opts.KeepGoing, "keep-going", false, "skip files that are not readable reports, with a warning")
	return cmd
}

func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size between 1 byte and 1 TB", s)
	}
	return n * mult, nil
}

func runReport(f *cmdutil.Factory, opts *ReportOptions) error {
	var reports []*aggregate.Report
	var firstErr error
	for _, name := range opts.Files {
		reps, err := readReport(f, name, opts.Limits)
		if err != nil {
			if !opts.KeepGoing {
				return err
			}
			f.IO.Warnf("%v", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		reports = append(reports, reps...)
	}
	if len(reports) == 0 && firstErr != nil {
		return firstErr
	}
	sum := aggregate.Summarize(reports)
	switch f.Global.Output {
	case "json":
		return cmdutil.WriteJSON(f.IO.Out, sum)
	case "csv":
		return writeCSV(f.IO.Out, sum)
	}
	writeSummary(f.IO.Term(), sum, f.IO.Quiet)
	return nil
}

func readReport(f *cmdutil.Factory, name string, lim aggregate.Limits) ([]*aggregate.Report, error) {
	var r io.Reader
	if name == "-" {
		r = f.IO.In
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return nil, cmdutil.BadInput("FILE", err)
		}
		defer fh.Close()
		r = fh
	}
	reps, err := aggregate.ParseFile(name, r, lim)
	if err != nil {
		return nil, cmdutil.BadInputHint("", err, "give DMARC aggregate reports: XML, .gz, .zip or an e-mail carrying one (--max-size raises the size limit)")
	}
	return reps, nil
}

// writeSummary writes the summary for people. Every text in it (reporter
// names, report IDs, domains, addresses) comes from a report a stranger
// wrote: the Term makes it safe, and inline keeps it on its line.
func writeSummary(t *report.Term, s *aggregate.Summary, quiet bool) {
	if !quiet {
		for _, r := range s.Reports {
			t.Printf("report %s from %s for %s (p=%s, %s): %s to %s, %d records, %d messages\n",
				report.SafeLine(r.ReportID), report.SafeLine(r.OrgName), report.SafeLine(r.Domain), report.SafeLine(r.Policy), report.SafeLine(r.Schema),
				r.Begin.Format("2006-01-02 15:04"), r.End.Format("2006-01-02 15:04"), r.Records, r.Messages)
		}
		if s.Duplicates > 0 {
			t.Printf("%d duplicate reports skipped\n", s.Duplicates)
		}
		t.Printf("%d messages from %d sources; %d failed DMARC\n\n", s.Messages, len(s.Sources), s.DMARCFail)
	}
	rows := [][]report.Cell{report.Row("SOURCE IP", "MESSAGES", "DMARC PASS", "SPF ALIGNED", "DKIM ALIGNED", "NONE", "QUARANTINE", "REJECT", "FROM")}
	for _, src := range s.Sources {
		rate := report.Text(pct(src.DMARCPassRate))
		if src.DMARCFail > 0 {
			rate = report.Styles(report.StyleFail, pct(src.DMARCPassRate))
		}
		row := report.Row(src.SourceIP, i64(src.Messages), "", pct(src.SPFAlignedRate), pct(src.DKIMAlignedRate),
			i64(src.Disposition.None), i64(src.Disposition.Quarantine), i64(src.Disposition.Reject), strings.Join(src.HeaderFrom, ","))
		row[2] = rate
		rows = append(rows, row)
	}
	report.Columns(t, rows, 2)
}

// writeCSV writes one row per source. The cells are made safe (CSVCell):
// report content is hostile, and CSV files end up in spreadsheets and
// terminals.
func writeCSV(out io.Writer, s *aggregate.Summary) error {
	w := csv.NewWriter(out)
	row := func(cells ...string) {
		for i, c := range cells {
			cells[i] = report.CSVCell(report.SafeLine(c))
		}
		_ = w.Write(cells) // errors surface through w.Error
	}
	row("source_ip", "messages", "dmarc_pass", "dmarc_fail", "dmarc_pass_rate", "spf_aligned_pass", "spf_aligned_pass_rate", "dkim_aligned_pass", "dkim_aligned_pass_rate", "disposition_none", "disposition_quarantine", "disposition_reject", "header_from", "reporters")
	for _, src := range s.Sources {
		row(
			src.SourceIP, i64(src.Messages), i64(src.DMARCPass), i64(src.DMARCFail), rate(src.DMARCPassRate),
			i64(src.SPFAligned), rate(src.SPFAlignedRate), i64(src.DKIMAligned), rate(src.DKIMAlignedRate),
			i64(src.Disposition.None), i64(src.Disposition.Quarantine), i64(src.Disposition.Reject),
			strings.Join(src.HeaderFrom, " "), strings.Join(src.Reporters, " "),
		)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

func i64(n int64) string    { return strconv.FormatInt(n, 10) }
func rate(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }
