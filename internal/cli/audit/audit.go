// Package audit holds the "emailauth audit" commands: verify, which checks
// an audit log's hash chain (docs/audit-log.md). The log itself is written
// by the commands that act (Factory.Audit), through pkg/audit.
package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	paudit "github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// NewCmdAudit returns the "audit" command group.
func NewCmdAudit(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the audit log of security-relevant actions",
		Long: `emailauth records security-relevant actions (keys generated, messages signed)
in an audit log when --audit-log FILE or audit_log: in the config names one:
one JSON line per action, each holding the SHA-256 of the line before it.

  verify   check the log's hash chain and say where it breaks

See docs/audit-log.md.`,
	}
	cmd.AddCommand(NewCmdVerify(f, nil))
	return cmd
}

// VerifyOptions are the inputs of "audit verify".
type VerifyOptions struct {
	// File is the log; "-" is standard input.
	File string
	// Head is the hash of the log's last line at an earlier time.
	Head string
}

// NewCmdVerify returns "audit verify". runF, when not nil, replaces the run
// function (tests stop after flag parsing).
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check an audit log's hash chain and say where it breaks",
		Long: `Check the hash chain of an audit log: every line must be a record whose prev
is the SHA-256 of the line before it, with the next sequence number. Where
the chain breaks, say which line and what happened:

  edited      a line was changed after it was written
  deleted     records are missing between two lines (or before the first)
  reordered   lines are not in the order they were written in
  inserted    a line copies another, or claims another's sequence number
  malformed   a line is not an audit record
  truncated   the last line is incomplete (a write was cut short)
  restarted   a second chain starts in the middle (two logs joined)

FILE is the log ("-" reads standard input); without it, the log named by
--audit-log or audit_log: in the config.

A chain alone cannot show lines deleted from the end, an edit of the last
line, or a log rewritten whole. The output ends with the head, the SHA-256
of the last line: keep it somewhere the log's writers cannot change (a
ticket, another host), and give it back later with --head; a log that no
longer holds that line lost lines at its end.

-q prints the verdict, the problems and the head. Exit 0 when the chain is
whole, 1 when it breaks, 2 when the log cannot be read.`,
		Example: `  emailauth audit verify /var/log/emailauth/audit.log
  emailauth audit verify --head 8b61cc9dfa684122f956f37320bc85a87b8291e7159db2192783e40ee7306e5d /var/log/emailauth/audit.log
  emailauth audit verify -o json audit.log | jq -r .head`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = ""
			if len(args) == 1 {
				opts.File = args[0]
			} else if f.Global != nil {
				opts.File = f.Global.AuditLog
			}
			if opts.File == "" {
				return cmdutil.FlagErrorf("give the audit log FILE (no --audit-log or audit_log: is configured)")
			}
			if opts.Head != "" {
				h := strings.ToLower(strings.TrimSpace(opts.Head))
				if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
					return cmdutil.BadInputHint("--head", fmt.Errorf("%q is not a SHA-256 in hex", opts.Head), "give the head an earlier 'audit verify' printed: 64 hex digits")
				}
				opts.Head = h
			}
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Head, "head", "", "the `SHA256` of the log's last line as an earlier verify reported it: fail if that line is gone")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// verifyResult is the JSON of "audit verify".
type verifyResult struct {
	File string `json:"file"`
	*paudit.Verification
}

func verifyRun(f *cmdutil.Factory, opts *VerifyOptions) error {
	var r io.Reader = f.IO.In
	name := "standard input"
	if opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return cmdutil.BadInputHint(opts.File, err, "give the audit log written with --audit-log")
		}
		defer fh.Close()
		if st, err := fh.Stat(); err == nil && st.IsDir() {
			return cmdutil.BadInput(opts.File, errors.New("is a directory; give the audit log file"))
		}
		r, name = fh, opts.File
	}
	v, err := paudit.Verify(r, paudit.VerifyOptions{Head: opts.Head})
	if err != nil {
		return cmdutil.BadInput(name, err)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, verifyResult{File: opts.File, Verification: v}); err != nil {
			return err
		}
	} else {
		writeVerification(f.IO.Term(), name, v, f.IO.Quiet)
	}
	return cmdutil.ExitForStatus(v.Status)
}

// writeVerification writes the verdict, a line per problem (with its fix
// unless quiet), and the head.
func writeVerification(t *report.Term, name string, v *paudit.Verification, quiet bool) {
	verdict := "intact"
	if v.Status != finding.StatusPass {
		verdict = "broken"
	}
	what := fmt.Sprintf("%d records", v.Records)
	if v.Records > 0 {
		what += fmt.Sprintf(" (seq %d to %d)", v.FirstSeq, v.LastSeq)
	}
	if v.Lines != v.Records {
		what = fmt.Sprintf("%d lines, %s", v.Lines, what)
	}
	t.Printf("%s: %s: %s\n", report.SafeLine(name), t.Style(report.StatusStyle(string(v.Status)), verdict), what)
	rows := [][]report.Cell{}
	for _, p := range v.Problems {
		where := fmt.Sprintf("line %d", p.Line)
		if p.LastLine > p.Line {
			where = fmt.Sprintf("lines %d-%d", p.Line, p.LastLine)
		}
		rows = append(rows, []report.Cell{report.Text("  " + where), report.Styles(report.StyleFail, string(p.Break)), report.Text(p.Message)})
	}
	report.Columns(t, rows, 2)
	if v.MoreProblems > 0 {
		t.Printf("  and %d more problems\n", v.MoreProblems)
	}
	if !quiet {
		seen := map[paudit.Break]bool{}
		for _, p := range v.Problems {
			if !seen[p.Break] {
				seen[p.Break] = true
				t.Printf("  fix (%s): %s\n", p.Break, report.SafeLine(p.Fix))
			}
		}
	}
	switch {
	case v.Head == "":
		t.Printf("head: none (the log is empty)\n")
	case v.HeadLine > 0:
		t.Printf("head: %s (line %d); the head given is line %d, %d records since\n", v.Head, v.Lines, v.HeadLine, v.Lines-v.HeadLine)
	default:
		t.Printf("head: %s (line %d)\n", v.Head, v.Lines)
	}
}
