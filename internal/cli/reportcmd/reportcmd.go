// Package reportcmd is "emailauth report": stored check reports rendered
// again. A nightly run writes json or jsonl once; `report render` turns it
// into a table for ops, html for tenants, junit for CI, without asking DNS
// again.
package reportcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/check"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// NewCmdReport returns the report command group.
func NewCmdReport(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render stored check reports again",
		Long: `Work with the stored reports of emailauth check (its json and jsonl output):
render them again in any output format, merged and deduplicated, without
asking DNS again.`,
	}
	cmd.AddCommand(NewCmdRender(f, nil))
	return cmd
}

// RenderOptions are the inputs of report render.
type RenderOptions struct {
	Files   []string // "-" is standard input
	FailOn  finding.Severity
	Only    finding.Status
	Summary bool
	Sort    string
}

// NewCmdRender returns the render command. runF, when not nil, replaces the
// run function.
func NewCmdRender(f *cmdutil.Factory, runF func(*RenderOptions) error) *cobra.Command {
	opts := &RenderOptions{}
	var failOn string
	cmd := &cobra.Command{
		Use:   "render FILE...",
		Short: "Render stored json or jsonl check reports in any output format",
		Long: `Read the stored output of emailauth check (-o json: a whole report; -o jsonl:
one domain per line, such as the outputs of the shards of a bulk run, or any
mix of them) and write it again in any output format, without asking DNS.
"-" reads standard input.

A domain found more than once keeps its newest result, and "newest" is
positional, since a stored result carries no time: a later FILE on the
command line replaces an earlier one, and within a file a later line (or a
later report) replaces an earlier one. Give files oldest first (yesterday's
run, then today's). Each domain keeps the place where it was first seen,
unless --sort says otherwise. The summary is counted again from the results
kept; a stored run that was interrupted keeps its count of inputs not
checked.

The exit code is that of the stored results, as check would have exited:
0 every domain passed (warnings allowed unless --fail-on warning), 1 a
domain failed, 2 bad input (a file that is not a report, or an invalid
domain stored), 3 a check could not complete or the stored run was
interrupted.`,
		Example: `  # last night's run, for people
  emailauth report render nightly.json

  # the shards of a bulk run, merged, one HTML page for tenants
  emailauth report render -o html shard-*.jsonl > report.html

  # the failures of 2,000 domains, one line each, worst first
  emailauth report render --summary --only fail --sort status nightly.jsonl

  # gate CI on a stored run: JUnit for the test report, exit 1 on warnings
  emailauth report render -o junit --fail-on warning nightly.json > junit.xml`,
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return []string{"json", "jsonl"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			sev, err := finding.ParseSeverity(failOn)
			if err != nil || sev == finding.Info {
				return cmdutil.FlagErrorf("invalid --fail-on %q: want error or warning", failOn)
			}
			opts.FailOn = sev
			opts.Sort = strings.ToLower(strings.TrimSpace(opts.Sort))
			if !contains(report.SortOrders, opts.Sort) {
				return cmdutil.FlagErrorf("invalid --sort %q: want one of %s", opts.Sort, strings.Join(report.SortOrders, ", "))
			}
			if runF != nil {
				return runF(opts)
			}
			return runRender(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, report.Formats...)
	fl := cmd.Flags()
	fl.StringVar(&failOn, "fail-on", "error", "exit 1 on findings of this `severity` or worse: error or warning")
	fl.Var(report.OnlyFlag{Only: &opts.Only}, "only", report.OnlyUsage)
	fl.BoolVar(&opts.Summary, "summary", false, report.SummaryUsage)
	fl.StringVar(&opts.Sort, "sort", report.SortInput, "order of the domains: "+strings.Join(report.SortOrders, ", ")+" (most severe first)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"error", "warning"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("only", cobra.FixedCompletions(report.OnlyValues, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions(report.SortOrders, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const readHint = "report render reads what emailauth check writes with -o json or -o jsonl"

func runRender(f *cmdutil.Factory, opts *RenderOptions) error {
	var m report.Merge
	stdinRead := false
	for _, name := range opts.Files {
		var r io.Reader
		shown := name
		if name == "-" {
			if stdinRead {
				continue
			}
			stdinRead, r, shown = true, f.IO.In, "standard input"
		} else {
			fh, err := os.Open(name)
			if err != nil {
				return cmdutil.BadInputHint(name, errors.Unwrap(err), readHint)
			}
			defer fh.Close()
			r = fh
		}
		st, err := report.Decode(r, report.ReadOptions{}, func(d *check.DomainResult) error {
			if m.Add(d) {
				f.IO.Verbosef(2, "%s: %s replaces an earlier result", shown, d.Domain)
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, report.ErrNotReport) {
				return cmdutil.BadInputHint(shown, err, readHint)
			}
			return cmdutil.BadInput(shown, err)
		}
		f.IO.Verbosef(1, "%s: %s, %s", shown, plural(st.Domains, "domain result"), plural(st.Documents, "whole report"))
		if st.NotChecked > 0 {
			f.IO.Warnf("%s: the run that wrote it was interrupted: %s not checked", shown, plural(st.NotChecked, "input was", "inputs were"))
		}
		m.AddNotChecked(st.NotChecked)
	}
	if m.Len() == 0 {
		return cmdutil.BadInputHint(strings.Join(opts.Files, " "), errors.New("no domain results in the input"), readHint)
	}
	if m.Replaced() > 0 {
		f.IO.Verbosef(1, "%s replaced by a newer one", plural(m.Replaced(), "result was", "results were"))
	}
	rep, err := m.Report(opts.Sort)
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}

	ropts := report.Options{Color: f.IO.Color, Verbose: f.IO.Verbosity > 0, FailOn: opts.FailOn, Only: opts.Only, Summary: opts.Summary}
	if f.Global.Output == "github" {
		if p := f.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
			fh, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return cmdutil.BadInput("GITHUB_STEP_SUMMARY", err)
			}
			defer fh.Close()
			ropts.StepSummary = fh
		}
	}
	// The table goes through the terminal-safe writer, which owns colour;
	// the other formats are escaped by their own renderers.
	var out io.Writer = f.IO.Out
	if f.Global.Output == "table" {
		out = f.IO.Term()
	}
	if err := report.WriteReport(f.Global.Output, out, rep, ropts); err != nil {
		return &cmdutil.IncompleteError{Err: err}
	}
	return cmdutil.ExitFor(rep.Summary, opts.FailOn)
}

// plural writes "1 domain result" or "3 domain results"; with two forms,
// the second is the plural.
func plural(n int, forms ...string) string {
	one, many := forms[0], forms[0]+"s"
	if len(forms) > 1 {
		many = forms[1]
	}
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
