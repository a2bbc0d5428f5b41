// Package spf holds the "emailauth spf" commands.
package spf

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// NewCmdSPF returns the "spf" command group.
func NewCmdSPF(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "spf",
		Short:  "SPF commands (being built)",
		Hidden: true,
	}
	return cmd
}
