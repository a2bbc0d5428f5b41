// Package spf holds the "emailauth spf" commands: check (the analysis of a
// domain's SPF tree), eval (check_host for one connection), build (compose a
// record and its cost) and flatten (resolve includes into networks).
package spf

import (
	"bytes"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// NewCmdSPF returns the "spf" command group.
func NewCmdSPF(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spf",
		Short: "Check, evaluate, build and flatten SPF records",
		Long: `Work with SPF (RFC 7208) records.

  check    walk a domain's include/redirect tree and explain every term's
           DNS-lookup cost, the totals, the networks authorized, and findings
  eval     run check_host() for one connection (IP, MAIL FROM, HELO)
  build    compose a record from its parts, with its lookup cost and zone line
  flatten  resolve includes into ip4/ip6 terms to stay under 10 lookups`,
	}
	cmd.AddCommand(
		NewCmdCheck(f, nil),
		NewCmdEval(f, nil),
		NewCmdBuild(f, nil),
		NewCmdFlatten(f, nil),
	)
	return cmd
}

// deprecationNotices collects the notices pflag writes when a deprecated
// flag spelling is used. Left to Cobra, they are printed with
// Command.Print, to the command's output, which root.go points at stdout:
// "spf eval --sender ADDR -o json" would then write a notice before the
// JSON. Collected here, they are written on stderr by warnDeprecated once
// the command runs (and the streams are set up).
func deprecationNotices(fs *pflag.FlagSet) *bytes.Buffer {
	var b bytes.Buffer
	fs.SetOutput(&b)
	return &b
}

// warnDeprecated writes the collected notices as warnings on stderr.
func warnDeprecated(f *cmdutil.Factory, notices *bytes.Buffer) {
	for l := range strings.Lines(notices.String()) {
		if l = strings.TrimSpace(l); l != "" {
			f.IO.Warnf("%s", l)
		}
	}
	notices.Reset()
}
