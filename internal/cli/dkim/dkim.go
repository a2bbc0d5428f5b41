// Package dkim holds the "emailauth dkim" commands that handle DKIM keys:
// keygen, record and check. Signing and verifying messages are the sign and
// verify commands (package message).
package dkim

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// NewCmdDKIM returns the "dkim" command group.
func NewCmdDKIM(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dkim",
		Short: "Generate DKIM keys, derive their records, check published keys, rotate keys",
		Long: `Handle DKIM keys (RFC 6376, RFC 8463 Ed25519, RFC 8301 key sizes):

  keygen   generate a key pair and print the TXT record to publish
  record   print the record to publish for an existing private key
  check    fetch and check the key records of a domain's selectors
  rotate   say where a key rotation stands and what to do next

See docs/dkim-keys.md.`,
	}
	cmd.AddCommand(
		NewCmdKeygen(f, nil),
		NewCmdRecord(f, nil),
		NewCmdCheck(f, nil),
		NewCmdRotate(f, nil),
	)
	return cmd
}
