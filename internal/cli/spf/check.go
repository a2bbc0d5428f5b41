package spf

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// CheckOptions are the inputs of "spf check".
type CheckOptions struct {
	Domains    []string
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
tree is still shown.

The totals are those check_host() reaches for a client that matches nothing
but "all": the worst case. "emailauth spf eval" counts the same way.

Exit 0 when no finding is an error, 1 when one is, 3 when a DNS lookup failed
(and nothing else was an error), 2 for a malformed domain.`,
		Example: `  emailauth spf check example.com
  emailauth spf check -o json example.com example.net
  emailauth spf check --offline --zone testdata/zones/example.com.zone example.com`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range args {
				if err := dns.CheckName(d); err != nil {
					return cmdutil.BadInput("DOMAIN", err)
				}
			}
			opts.Domains = args
			if runF != nil {
				return runF(opts)
			}
			return runCheck(f, opts)
		},
	}
	cmd.Flags().IntVar(&opts.MaxLookups, "max-lookups", 10, "the lookup limit to judge against")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runCheck(f *cmdutil.Factory, opts *CheckOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	var all []*spf.Analysis
	for _, d := range opts.Domains {
		a, err := spf.Analyze(f.Ctx(), r, d, spf.AnalyzeOptions{MaxLookups: opts.MaxLookups})
		if err != nil {
			return cmdutil.BadInput("DOMAIN", err)
		}
		all = append(all, a)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, all); err != nil {
			return err
		}
	} else {
		for i, a := range all {
			if i > 0 {
				fmt.Fprintln(f.IO.Out)
			}
			writeAnalysis(f.IO.Out, a, f.IO.Verbosity > 0, f.IO.Color)
		}
	}
	failed, incomplete := false, false
	for _, a := range all {
		if s, ok := finding.Max(a.Findings); ok && s == finding.Error {
			for _, x := range a.Findings {
				if x.Severity == finding.Error && x.Code != spf.FindDNSError.Code {
					failed = true
				}
			}
		}
		incomplete = incomplete || a.Incomplete
	}
	switch {
	case failed:
		return cmdutil.ErrFailed
	case incomplete:
		return cmdutil.ErrIncomplete
	}
	return nil
}

// writeAnalysis renders an analysis for a person: the tree indented, each
// term's cost and the running total, the totals, then findings with fixes.
func writeAnalysis(out io.Writer, a *spf.Analysis, verbose, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	fmt.Fprintf(out, "%s\n", paint("1", a.Domain))
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TERM\tCOST\tTOTAL\tDETAIL")
	var walk func(n *spf.Node, depth int)
	walk = func(n *spf.Node, depth int) {
		ind := strings.Repeat("  ", depth+1)
		head := n.Domain
		if n.Via != "domain" {
			head = n.Via + " " + n.Domain
		}
		switch n.Status {
		case "ok", "":
			fmt.Fprintf(tw, "%s%s\t\t\t%q (TTL %d; %s)\n", ind, head, n.Record, n.TTL, branchSummary(n))
		default:
			fmt.Fprintf(tw, "%s%s\t\t\t%s: %s\n", ind, head, paint("31", strings.ToUpper(n.Status)), n.Error)
			if n.Status == "syntax-error" {
				fmt.Fprintf(tw, "%s  record\t\t\t%q\n", ind, n.Record)
				for _, se := range n.SyntaxErrors {
					// A caret under the offending character (the %q quote adds 1).
					fmt.Fprintf(tw, "%s  \t\t\t%s^ position %d: %s\n", ind, strings.Repeat(" ", quotedOffset(n.Record, se.Pos)), se.Pos, se.Reason)
				}
			}
		}
		for _, alt := range n.Alternatives {
			walk(alt, depth+1)
		}
		for _, t := range n.Terms {
			var detail []string
			if !t.Reached && t.Reason != "syntax error" && t.Note == "" {
				detail = append(detail, "not evaluated")
			}
			if t.Note != "" {
				detail = append(detail, t.Note)
			}
			if t.Reached && (t.Cost > 0 || verbose) {
				detail = append(detail, t.Reason)
			}
			if t.AddressLookups > 0 {
				if t.AddressLookups == 1 {
					detail = append(detail, "1 MX host")
				} else {
					detail = append(detail, fmt.Sprintf("%d MX hosts", t.AddressLookups))
				}
			}
			if t.VoidIPv4 || t.VoidIPv6 {
				detail = append(detail, paint("33", "void lookup"+voidFamilies(t)))
			}
			if len(t.Networks) > 0 {
				detail = append(detail, "authorizes "+listNets(t.Networks, verbose))
			}
			cost := "-"
			if t.Reached {
				cost = fmt.Sprint(t.Cost)
			}
			fmt.Fprintf(tw, "%s  %s\t%s\t%d\t%s\n", ind, t.Term, cost, t.Running, strings.Join(detail, "; "))
			if t.Child != nil {
				walk(t.Child, depth+2)
			}
		}
	}
	walk(a.Tree, 0)
	_ = tw.Flush()
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		if line != "" {
			fmt.Fprintln(out, strings.TrimRight(line, " \n"))
		}
	}
	fmt.Fprintf(out, "total: %d DNS lookups of 10", a.Lookups)
	if a.Lookups > 10 {
		fmt.Fprint(out, paint("31", " (over the limit: permerror)"))
	}
	fmt.Fprintf(out, "; void lookups %d (IPv4 clients), %d (IPv6 clients) of 2", a.VoidLookups.IPv4, a.VoidLookups.IPv6)
	if a.MacroDependent {
		fmt.Fprint(out, "; some costs depend on the connection (macros)")
	}
	fmt.Fprintln(out)
	if a.Tree.Status == "ok" {
		fmt.Fprintf(out, "unlisted hosts get: %s\n", a.Result)
		fmt.Fprintf(out, "networks authorized: %d\n", len(a.Networks))
	}
	if a.Incomplete {
		fmt.Fprintln(out, paint("33", "incomplete: a DNS lookup failed (see findings)"))
	}
	if len(a.Findings) == 0 {
		fmt.Fprintln(out, "findings: none")
		return
	}
	fmt.Fprintln(out, "findings:")
	for _, x := range a.Findings {
		sev := x.Severity.String()
		switch x.Severity {
		case finding.Error:
			sev = paint("31", sev)
		case finding.Warning:
			sev = paint("33", sev)
		}
		fmt.Fprintf(out, "  %s %s: %s\n", sev, x.Code, x.Message)
		if x.Fix != "" {
			fmt.Fprintf(out, "      fix: %s\n", x.Fix)
		}
	}
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
// its %q rendering.
func quotedOffset(record string, pos int) int {
	if pos < 1 || pos > len(record) {
		return 0
	}
	q := fmt.Sprintf("%q", record[:pos-1])
	return len(q) - 1 // the opening quote counts, the closing one does not
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
