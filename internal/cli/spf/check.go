package spf

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// CheckOptions are the inputs of "spf check".
type CheckOptions struct {
	Domains    []dns.Domain
	MaxLookups int
}

// NewCmdCheck returns "spf check". runF, when not nil, replaces the run
// function.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check DOMAIN...",
		Short: "Explain a domain's SPF tree: lookup costs, totals, networks and findings",
		Long: `Walk each domain's SPF include/redirect tree once and report, for every
record: each term's DNS-lookup cost and why, the running total in evaluation
order, void lookups (for IPv4 and IPv6 clients), the networks each branch
authorizes, and findings with a fix. When a record is broken, the rest of the
tree is still shown. Text from the DNS is escaped: a record cannot drive the
terminal.

The totals are those check_host() reaches for a client that matches nothing
but "all": the worst case. "emailauth spf eval" counts the same way.

DOMAIN may be written in U-labels (asked in A-label form), or as a URL or an
e-mail address, which is reduced to its domain with a note.

Each domain gets a status: pass, warn (warnings only), fail (a finding is an
error) or error (a DNS lookup failed and nothing else is wrong). With -q, only
that status line and the error and warning findings are printed.

Exit 0 when every domain passed or warned, 1 when one failed, 3 when a DNS
lookup failed (SERVFAIL, timeout) and nothing failed, 2 for a malformed
domain.`,
		Example: `  emailauth spf check example.com
  emailauth spf check -o json example.com example.net
  emailauth spf check -q https://example.com/login user@example.net
  emailauth spf check --offline --zone testdata/spf/tenant.example.zone --zone testdata/spf/platform.example.zone tenant.example`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domains = opts.Domains[:0]
			for _, arg := range args {
				d, err := f.Domain("DOMAIN", arg)
				if err != nil {
					return err
				}
				opts.Domains = append(opts.Domains, d)
			}
			if opts.MaxLookups < 1 {
				return cmdutil.FlagErrorf("--max-lookups must be at least 1")
			}
			if runF != nil {
				return runF(opts)
			}
			return runCheck(f, opts)
		},
	}
	cmd.Flags().IntVar(&opts.MaxLookups, "max-lookups", spf.MaxLookups, "the lookup limit to judge against")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// checkResult is one domain's analysis with its verdict, as -o json writes
// it: the analysis' keys, then "unicode" (the U-label form, when the name
// has one) and "status".
type checkResult struct {
	*spf.Analysis
	Unicode string         `json:"unicode,omitempty"`
	Status  finding.Status `json:"status"`
}

func runCheck(f *cmdutil.Factory, opts *CheckOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	results := make([]checkResult, 0, len(opts.Domains))
	var tally finding.Tally
	for _, d := range opts.Domains {
		if err := f.RequireCovered("DOMAIN", d); err != nil {
			return err
		}
	}
	for _, d := range opts.Domains {
		a, err := spf.Analyze(f.Ctx(), r, d.ASCII, spf.AnalyzeOptions{MaxLookups: opts.MaxLookups})
		if err != nil {
			return cmdutil.BadInput("DOMAIN", err)
		}
		res := checkResult{Analysis: a, Unicode: d.Unicode, Status: a.Status()}
		tally.Add(res.Status)
		results = append(results, res)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, results); err != nil {
			return err
		}
	} else {
		t := f.IO.Term()
		for i, res := range results {
			display := dns.Domain{ASCII: res.Domain, Unicode: res.Unicode}.Display()
			if f.IO.Quiet {
				writeAnalysisQuiet(t, res.Analysis, display, res.Status)
				continue
			}
			if i > 0 {
				t.Printf("\n")
			}
			writeAnalysis(t, res.Analysis, display, res.Status, f.IO.Verbosity > 0)
		}
	}
	return cmdutil.ExitFor(tally, finding.Error)
}

// writeAnalysisQuiet writes the result alone (-q): the domain's status, and
// its error and warning findings without their fixes.
func writeAnalysisQuiet(t *report.Term, a *spf.Analysis, display string, st finding.Status) {
	t.Printf("%s: %s\n", display, t.Style(report.StatusStyle(string(st)), string(st)))
	for _, x := range a.Findings {
		if x.Severity >= finding.Warning {
			t.Printf("  %s %s: %s\n", t.Style(report.SeverityStyle(x.Severity), x.Severity.String()), x.Code, report.SafeLine(x.Message))
		}
	}
}

// writeAnalysis renders an analysis for a person: the tree indented, each
// term's cost and the running total, the totals, the findings with fixes,
// and the status. Everything goes through the Term: the records, errors and
// names in it come from the DNS and are escaped there; colour only through
// its styles.
func writeAnalysis(t *report.Term, a *spf.Analysis, display string, st finding.Status, verbose bool) {
	t.Printf("%s\n", t.Style(report.StyleBold, display))
	rows := [][]report.Cell{report.Row("  TERM", "COST", "TOTAL", "DETAIL")}
	var walk func(n *spf.Node, depth int)
	walk = func(n *spf.Node, depth int) {
		ind := strings.Repeat("  ", depth+1)
		head := n.Domain
		if n.Via != "domain" {
			head = n.Via + " " + n.Domain
		}
		switch n.Status {
		case "ok", "":
			rows = append(rows, []report.Cell{report.Text(ind + head), nil, nil, report.Text(fmt.Sprintf("%q (TTL %d; %s)", n.Record, n.TTL, branchSummary(n)))})
		default:
			rows = append(rows, []report.Cell{report.Text(ind + head), nil, nil, {{Text: strings.ToUpper(n.Status), Style: report.StyleFail}, {Text: ": " + n.Error}}})
			if n.Status == "syntax-error" {
				rows = append(rows, []report.Cell{report.Text(ind + "  record"), nil, nil, report.Text(fmt.Sprintf("%q", n.Record))})
				for _, se := range n.SyntaxErrors {
					// A caret under the offending character.
					rows = append(rows, []report.Cell{report.Text(ind + "  "), nil, nil, report.Text(fmt.Sprintf("%s^ position %d: %s", strings.Repeat(" ", quotedOffset(n.Record, se.Pos)), se.Pos, se.Reason))})
				}
			}
		}
		for _, alt := range n.Alternatives {
			walk(alt, depth+1)
		}
		for _, tr := range n.Terms {
			var detail report.Cell
			add := func(s string, st report.Style) {
				if len(detail) > 0 {
					detail = append(detail, report.Seg{Text: "; "})
				}
				detail = append(detail, report.Seg{Text: s, Style: st})
			}
			if !tr.Reached && tr.Reason != "syntax error" && tr.Note == "" {
				add("not evaluated", report.StylePlain)
			}
			if tr.Note != "" {
				add(tr.Note, report.StylePlain)
			}
			if tr.Reached && (tr.Cost > 0 || verbose) {
				add(tr.Reason, report.StylePlain)
			}
			if tr.AddressLookups > 0 {
				if tr.AddressLookups == 1 {
					add("1 MX host", report.StylePlain)
				} else {
					add(fmt.Sprintf("%d MX hosts", tr.AddressLookups), report.StylePlain)
				}
			}
			if tr.VoidIPv4 || tr.VoidIPv6 {
				add("void lookup"+voidFamilies(tr), report.StyleWarn)
			}
			if len(tr.Networks) > 0 {
				add("authorizes "+listNets(tr.Networks, verbose), report.StylePlain)
			}
			cost := "-"
			if tr.Reached {
				cost = fmt.Sprint(tr.Cost)
			}
			rows = append(rows, []report.Cell{report.Text(ind + "  " + tr.Term), report.Text(cost), report.Text(fmt.Sprint(tr.Running)), detail})
			if tr.Child != nil {
				walk(tr.Child, depth+2)
			}
		}
	}
	walk(a.Tree, 0)
	report.Columns(t, rows, 2)

	over := ""
	if a.Lookups > spf.MaxLookups {
		over = " (over the limit: permerror)"
	}
	macros := ""
	if a.MacroDependent {
		macros = "; some costs depend on the connection (macros)"
	}
	t.Printf("total: %d DNS lookups of %d%s; void lookups %d (IPv4 clients), %d (IPv6 clients) of %d%s\n",
		a.Lookups, spf.MaxLookups, t.Style(report.StyleFail, over), a.VoidLookups.IPv4, a.VoidLookups.IPv6, spf.MaxVoidLookups, macros)
	if a.Tree.Status == "ok" {
		t.Printf("unlisted hosts get: %s\n", a.Result)
		t.Printf("networks authorized: %d\n", len(a.Networks))
	}
	if a.Incomplete {
		t.Printf("%s\n", t.Style(report.StyleError, "incomplete: a DNS lookup failed (see findings)"))
	}
	if len(a.Findings) == 0 {
		t.Printf("findings: none\n")
	} else {
		t.Printf("findings:\n")
		for _, x := range a.Findings {
			t.Printf("  %s %s: %s\n", t.Style(report.SeverityStyle(x.Severity), x.Severity.String()), x.Code, report.SafeLine(x.Message))
			if x.Fix != "" {
				t.Printf("      fix: %s\n", report.SafeLine(x.Fix))
			}
		}
	}
	t.Printf("status: %s\n", t.Style(report.StatusStyle(string(st)), string(st)))
}

func voidFamilies(t *spf.TermReport) string {
	switch {
	case t.VoidIPv4 && t.VoidIPv6:
		return ""
	case t.VoidIPv4:
		return " for IPv4 clients"
	}
	return " for IPv6 clients"
}

func listNets(nets []string, all bool) string {
	if all || len(nets) <= 4 {
		return strings.Join(nets, " ")
	}
	return fmt.Sprintf("%s (+%d more; -v shows all)", strings.Join(nets[:4], " "), len(nets)-4)
}

// quotedOffset is the column of the record's 1-based position pos inside
// its %q rendering, in display columns.
func quotedOffset(record string, pos int) int {
	if pos < 1 || pos > len(record) {
		return 0
	}
	q := report.Safe(fmt.Sprintf("%q", record[:pos-1]))
	return report.Width(q) - 1 // the opening quote counts, the closing one does not
}

// branchSummary says what a node's branch costs and authorizes.
func branchSummary(n *spf.Node) string {
	nets := "no networks"
	switch len(n.Networks) {
	case 0:
	case 1:
		nets = "1 network"
	default:
		nets = fmt.Sprintf("%d networks", len(n.Networks))
	}
	look := "lookups"
	if n.Lookups == 1 {
		look = "lookup"
	}
	return fmt.Sprintf("branch: %d %s, passes %s", n.Lookups, look, nets)
}
