// Package spf holds the "emailauth spf" commands: check (the analysis of a
// domain's SPF tree), eval (check_host for one connection), build (compose a
// record and its cost) and flatten (resolve includes into networks).
package spf

import (
	"github.com/spf13/cobra"

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
