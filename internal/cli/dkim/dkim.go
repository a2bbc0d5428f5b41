// Package dkim holds the "emailauth dkim" commands.
package dkim

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// NewCmdDKIM returns the "dkim" command group.
func NewCmdDKIM(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "dkim",
		Short:  "DKIM commands (being built)",
		Hidden: true,
	}
	return cmd
}
