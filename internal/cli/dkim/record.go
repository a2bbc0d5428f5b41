package dkim

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/audit"
)

// RecordOptions are the record command's inputs.
type RecordOptions struct {
	recordFlags
	// PrivateKey is the private key file read; "-" is stdin.
	PrivateKey string
}

// NewCmdRecord returns the "dkim record" command.
func NewCmdRecord(f *cmdutil.Factory, runF func(*RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{}
	cmd := &cobra.Command{
		Use:   "record DOMAIN -s SELECTOR -k FILE",
		Short: "Print the record to publish for an existing private key",
		Long: `Derive the DKIM key record of DOMAIN from an existing private key, for a
rotation or to publish a key again. The key may be PKCS#8 PEM ("PRIVATE
KEY"), PKCS#1 PEM ("RSA PRIVATE KEY"), or an Ed25519 seed in base64 (the form
of RFC 8463's examples); --private-key - reads it from stdin. The private key
itself is never printed.

The output is the same as keygen's: the name, the value, a zone-file line
(TTL 3600 unless --ttl says otherwise) with the value split into strings of
at most 255 octets; -q prints the zone-file line alone, -o json gives JSON.`,
		Example: `  emailauth dkim record example.com -s s1 -k s1.example.com.pem
  emailauth dkim record example.com -s s1 -k key.pem --testing -o json
  emailauth dkim record example.com -s s1 -k - -q < key.pem >> example.com.zone`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.recordFlags.validate(f, args); err != nil {
				return err
			}
			if opts.PrivateKey == "" {
				return cmdutil.FlagErrorf("--private-key is required: the private key FILE whose record to print (- for stdin)")
			}
			if runF != nil {
				return runF(opts)
			}
			return recordRun(f, opts)
		},
	}
	opts.recordFlags.add(f, cmd)
	cmd.Flags().StringVarP(&opts.PrivateKey, "private-key", "k", "", "private key `FILE` (PEM, or base64 Ed25519 seed); - reads stdin")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// readPrivateKey reads a private key file ("-": stdin) and returns its
// public half.
func readPrivateKey(f *cmdutil.Factory, path string) (any, error) {
	key, err := f.ReadPrivateKey("--private-key", path)
	if err != nil {
		return nil, err
	}
	return key.Public(), nil
}

func recordRun(f *cmdutil.Factory, o *RecordOptions) error {
	pub, err := readPrivateKey(f, o.PrivateKey)
	if err != nil {
		return err
	}
	p, err := buildPublication(&o.recordFlags, pub)
	if err != nil {
		return err
	}
	if err := writePublication(f, p, false); err != nil {
		return err
	}
	return f.Audit(audit.RecordsProduced{Domain: p.Domain, Records: []audit.DNSRecord{
		{Name: p.Name, Type: "TXT", TTL: p.TTL, Value: p.Value, Action: "add"},
	}})
}
