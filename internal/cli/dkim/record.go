package dkim

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// RecordOptions are the record command's inputs.
type RecordOptions struct {
	recordFlags
	PrivateKey string
}

// NewCmdRecord returns the "dkim record" command.
func NewCmdRecord(f *cmdutil.Factory, runF func(*RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{}
	cmd := &cobra.Command{
		Use:   "record --private-key FILE --domain DOMAIN --selector SELECTOR",
		Short: "Print the record to publish for an existing private key",
		Long: `Derive the DKIM key record from an existing private key, for a rotation or to
publish a key again. The key may be PKCS#8 PEM ("PRIVATE KEY"), PKCS#1 PEM
("RSA PRIVATE KEY"), or an Ed25519 seed in base64 (the form of RFC 8463's
examples); --private-key - reads it from stdin. The private key itself is
never printed.

The output is the same as keygen's: the name, the value, a zone-file line with
the value split into strings of at most 255 octets; -o json for JSON.`,
		Example: `  emailauth dkim record --private-key s1.example.com.pem --domain example.com --selector s1
  emailauth dkim record --private-key key.pem --domain example.com --selector s1 --testing -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.PrivateKey == "" {
				return cmdutil.FlagErrorf("--private-key is required")
			}
			if err := opts.recordFlags.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return recordRun(f, opts)
		},
	}
	opts.recordFlags.add(cmd)
	cmd.Flags().StringVar(&opts.PrivateKey, "private-key", "", "private key `file` (PEM, or base64 Ed25519 seed); - reads stdin")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// readPrivateKey reads and parses a private key file ("-": stdin). Errors
// name the file and never quote its content.
func readPrivateKey(f *cmdutil.Factory, path string) (any, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(f.IO.In, 1<<20))
	} else {
		data, err = os.ReadFile(path)
		if fi, serr := os.Stat(path); err == nil && serr == nil && fi.Mode().Perm()&0o077 != 0 {
			f.IO.Warnf("%s can be read by other users (mode %04o); a private key should be mode 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
		}
	}
	if err != nil {
		return nil, cmdutil.BadInputHint(path, fmt.Errorf("cannot read the private key: %w", unwrapPath(err)), "check the path given to --private-key")
	}
	key, err := dkimkey.ParsePrivateKey(data)
	if err != nil {
		return nil, cmdutil.BadInputHint(path, err, "give a private key as PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), PKCS#1 PEM, or a base64 Ed25519 seed; emailauth dkim keygen makes one")
	}
	return key.Public(), nil
}

// unwrapPath drops the *PathError wrapper, whose path the caller names.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
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
	return writePublication(f.IO.Out, f.Global.Output, p)
}
