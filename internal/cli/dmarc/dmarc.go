// Package dmarc holds the "emailauth dmarc" commands.
package dmarc

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// NewCmdDMARC returns the "dmarc" command group.
func NewCmdDMARC(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "dmarc",
		Short:  "DMARC commands (being built)",
		Hidden: true,
	}
	return cmd
}
