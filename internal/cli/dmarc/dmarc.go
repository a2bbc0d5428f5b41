// Package dmarc holds the "emailauth dmarc" commands: check (a domain's
// DMARC record, discovery in both RFC views, findings), build (compose a
// record), eval (DMARC for given SPF and DKIM results) and orgdomain; the
// report command is package reports'.
package dmarc

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/reports"
)

// NewCmdDMARC returns the "dmarc" command group.
func NewCmdDMARC(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dmarc",
		Short: "Check, build and evaluate DMARC records; read aggregate, failure and TLS reports",
		Long: `Work with DMARC (RFC 9989, DMARCbis; RFC 7489 where receivers still differ).

  check    discover a domain's policy (DNS tree walk and Public Suffix List),
           validate its record and report destinations, with findings and fixes
  build    compose a record and its zone line, and the authorization records
           external report destinations must publish (checked in DNS)
  eval     evaluate DMARC for a From domain and given SPF and DKIM passes
  report   read aggregate, failure and SMTP TLS reports (files, directories,
           mbox, Maildir): sources, fixes, readiness for p=quarantine/reject
  orgdomain  the organizational domain by the DNS tree walk and by the PSL`,
	}
	cmd.AddCommand(
		NewCmdCheck(f, nil),
		NewCmdBuild(f, nil),
		NewCmdEval(f, nil),
		reports.NewCmdDMARCReport(f, nil),
		NewCmdOrgDomain(f, nil),
	)
	return cmd
}
