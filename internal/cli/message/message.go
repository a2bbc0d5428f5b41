// Package message holds the commands that sign and verify messages: sign, verify.
package message

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// NewCmdSign returns the sign command (being built).
func NewCmdSign(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{Use: "sign", Hidden: true, Short: "Sign a message with DKIM (being built)"}
}

// NewCmdVerify returns the verify command (being built).
func NewCmdVerify(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{Use: "verify", Hidden: true, Short: "Verify a message's DKIM signatures (being built)"}
}
